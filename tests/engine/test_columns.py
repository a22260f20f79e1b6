"""Columnar chunks: the parse into columns agrees with the per-point parser, rows and errors alike."""

from __future__ import annotations

import random

import numpy as np
import pytest

from kapacitrio.engine.router import split_chunk
from kapacitrio.models import lineprotocol as lp
from kapacitrio.models.columns import ColumnChunk, from_points
from kapacitrio.models.lineprotocol import LineProtocolError
from kapacitrio.models.lpcolumns import parse_chunk


def _rows(points) -> list:
    return [
        (p.name, p.tags, p.fields, list(p.fields), [type(v) for v in p.fields.values()], p.time)
        for p in points
    ]


def _careful(body: str, mult: int, default_time: int) -> list:
    return [lp._parse_careful(line, mult, default_time, "db", "rp") for line in lp.iter_lines(body)]


def _outcome(fn):  # type: ignore[no-untyped-def]
    try:
        return _rows(fn())
    except LineProtocolError as exc:
        return ("error", str(exc))


_NAMES = ["m", "cpu", "a=b", "m\\ x", "é"]
_TAGS = ["", ",h=a", ",h=b", ",h=a,k=é", ",a\\ b=v", ",h=", ",h=a=b"]
_VALUES = [
    "1", "-1.5", ".5", "5.", "+1", "1e5", "-2i", "+3i", "3u", "-3u", "t", "TRUE", "false",
    "yes", "1_0", '"s p,a=ce"', "9" * 18 + "i", "9" * 19 + "u", "9" * 20 + "u", "1e400", "nan",
]  # fmt: skip
_STAMPS = ["", " 1", " -5", " 9223372036", " 9223372037", " 9223372036854775807", " 1_0"]


def _body(rng: random.Random, bad_rate: float) -> str:
    values = _VALUES if rng.random() < bad_rate else _VALUES[:13]
    lines = []
    for _ in range(rng.randint(1, 6)):
        fields = ",".join(
            f"{rng.choice(['v', 'f', 'g'])}={rng.choice(values)}" for _ in range(rng.randint(1, 3))
        )
        name = rng.choice(_NAMES if rng.random() < bad_rate else _NAMES[:2])
        tags = rng.choice(_TAGS if rng.random() < bad_rate else _TAGS[:4])
        stamp = rng.choice(_STAMPS if rng.random() < bad_rate else _STAMPS[:3])
        lines.append(f"{name}{tags} {fields}{stamp}")
    if rng.random() < 0.2:
        lines.insert(rng.randint(0, len(lines)), rng.choice(["", "# note", "  m v=1  "]))
    return "\n".join(lines)


@pytest.mark.parametrize("bad_rate", [0.0, 0.3])
def test_columnar_parse_agrees_with_the_careful_parser(bad_rate: float) -> None:
    rng = random.Random(11)
    for _ in range(1500):
        body = _body(rng, bad_rate)
        mult = rng.choice([1, 10**9, 3600 * 10**9])
        want = _outcome(lambda: _careful(body, mult, 7))  # noqa: B023
        got = _outcome(lambda: parse_chunk(body, mult, 7, "db", "rp"))  # noqa: B023
        assert got == want, body


def test_plain_body_becomes_columns_without_rows() -> None:
    body = "cpu,host=a v=1.5 10\ncpu,host=b v=2 20\ncpu,host=a v=3 30\n"
    c = parse_chunk(body, 1, 0, "db", "rp")
    assert not c.has_rows
    assert c.time.tolist() == [10, 20, 30]
    assert c.fields["v"].values.dtype == np.float64
    assert c.series_codes.tolist() == [0, 1, 0]
    codes, table = c.tag_column("host")
    assert [table[i] for i in codes.tolist()] == ["a", "b", "a"]
    assert c.names() == {"cpu"}
    p = c[0]
    assert (p.name, p.tags, p.fields, p.time, p.db, p.rp) == (
        "cpu",
        {"host": "a"},
        {"v": 1.5},
        10,
        "db",
        "rp",
    )
    assert c[0].tags is c[2].tags  # one tags dict per series


def test_mixed_types_and_absent_fields_keep_each_rows_own_fields() -> None:
    body = "m a=1i,b=t 1\nm b=f 2\nm a=2.5 3\nm a=18446744073709551615u 4"
    c = parse_chunk(body, 1, 0)
    assert [p.fields for p in c] == [
        {"a": 1, "b": True},
        {"b": False},
        {"a": 2.5},
        {"a": 18446744073709551615},
    ]
    assert c.fields["b"].present.tolist() == [True, True, False, False]
    assert c.fields["b"].kind is bool
    assert c.fields["a"].kind is object


def test_a_repeated_field_key_is_settled_like_the_point_parser() -> None:
    body = "m v=1,v=2i 5"
    assert _rows(parse_chunk(body, 1, 0)) == _rows(_careful(body, 1, 0))


def test_take_keeps_order_and_shares_built_rows() -> None:
    c = parse_chunk("a v=1 1\nb v=2 2\na v=3 3", 1, 0)
    rows = c.rows()
    part = c.take(c.name_mask("a"))
    assert [p.time for p in part] == [1, 3]
    assert part[1] is rows[2]
    assert c.take(np.ones(3, dtype=bool)) is c


def test_from_points_round_trip() -> None:
    pts = _careful('m,h=a s="x y",v=1i 1\nm,h=a v=2i 2\nn b=t 3', 1, 0)
    c = from_points(pts)
    assert list(c) == pts
    rebuilt = c.derive()
    assert _rows(rebuilt) == _rows(pts)
    assert c.fields["s"].kind is str and c.fields["v"].kind is int


def test_wanted_nothing_still_validates() -> None:
    assert len(parse_chunk("m v=1 1\nn v=2 2", 1, 0, wanted=lambda n: False)) == 0
    with pytest.raises(LineProtocolError, match="unable to parse 'n v=1 99999999999'"):
        parse_chunk("m v=1 1\nn v=1 99999999999", 10**9, 0, wanted=lambda n: False)


def test_split_chunk_gives_each_task_its_rows_in_order() -> None:
    a, b, c_ = "A", "B", "C"
    both, only_a = [a, b], [a]
    chunk = parse_chunk("m1 v=1 1\nm2 v=2 2\nm1 v=3 3\nzz v=4 4\nm3 v=5 5", 1, 0)
    parts, routed = split_chunk(chunk, {"m1": both, "m2": only_a, "m3": [c_]}, [])
    assert routed == 4
    got = {tuple(t): [p.time for p in part] for t, part in parts}
    assert got == {(a,): [1, 2, 3], (b,): [1, 3], (c_,): [5]}
    assert all(isinstance(part, ColumnChunk) for _, part in parts)


def test_split_chunk_one_target_list_sends_the_chunk_itself() -> None:
    chunk = parse_chunk("m1 v=1 1\nm2 v=2 2", 1, 0)
    targets = ["A"]
    parts, routed = split_chunk(chunk, {"m1": targets, "m2": targets}, [])
    assert parts == [(targets, chunk)] and routed == 2
    assert split_chunk(chunk, {}, []) == ([], 0)
