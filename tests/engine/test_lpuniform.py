"""Uniform bodies split by columns: the same chunk as the per-line regex parse, and every body
that is not quite uniform left to that parse (with its errors)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from kapacitrio.models import lineprotocol as lp
from kapacitrio.models.lineprotocol import LineProtocolError
from kapacitrio.models.lpcolumns import parse_chunk, parse_uniform
from kapacitrio.models.lpuniform import split_uniform

_SERIES = ["m", "cpu,host=a", "cpu,host=b,dc=x", "cpu,dc=x,host=b", "m\\ x", "#m", 'a"b', "m,h="]
_KEYS = ["v", "value", "usage_idle", "e", "a.b", 'x"y', "", "v=w", "é"]
_NUMBERS = ["1", "-1.5", ".5", "5.", "+1", "1e5", "1E-07", "2.5e+3", "0", "-0.0", "12345.678901"]
_INTS = ["-2i", "+3i", "0i", "9" * 18 + "i", "-" + "9" * 18 + "i"]
_ODD = ["3u", "t", "true", "1e100", "1e", "nan", "inf", "9" * 19 + "i", "1_0", '"s"', "1.2.3"]
_STAMPS = ["1", "-5", "1600000000000000000", "9223372036854775807", "9223372036854775808", "+7"]
_STAMPS += ["-9223372036854775808", "-9223372036854775809", "0009"]


def _line(rng: random.Random, layout: list[str], kinds: list[str], odd: float) -> str:
    values = []
    for kind in kinds:
        pool = {"f": _NUMBERS, "i": _INTS}[kind]
        if kind == "f" and rng.random() < 0.3:  # every digit of a double counts
            values.append(repr(rng.uniform(-1e6, 1e6) * 10 ** rng.randint(-30, 30)))
            continue
        values.append(rng.choice(_ODD if rng.random() < odd else pool))
    fields = ",".join(f"{k}={v}" for k, v in zip(layout, values, strict=True))
    stamp = rng.choice(_STAMPS) if rng.random() < 0.3 else str(rng.randint(0, 10**18))
    spacing = rng.choice(["  ", "\t"]) if rng.random() < odd / 4 else " "
    return f"{rng.choice(_SERIES[:4] if rng.random() > odd else _SERIES)} {fields}{spacing}{stamp}"


def _body(rng: random.Random, odd: float) -> str:
    width = rng.randint(1, 3)
    layout = rng.sample(_KEYS[:5] if rng.random() > odd else _KEYS, width)
    kinds = [rng.choice("ffi") for _ in layout]
    lines = [_line(rng, layout, kinds, odd) for _ in range(rng.randint(1, 8))]
    if rng.random() < odd:  # a line of another layout, without a time, or blank
        lines.insert(rng.randrange(len(lines) + 1), rng.choice(["m v=1", "m v=1,w=2 3", ""]))
    return "\n".join(lines) + ("\n" if rng.random() < 0.5 else "")


def _outcome(body: str, mult: int, *, by_lines: bool = False):  # type: ignore[no-untyped-def]
    """The uniform parse of a body, when it has one (or with `by_lines` the per-line regex
    parse, which `sliced=True` takes), else `parse_chunk`'s."""
    try:
        chunk = None if by_lines else parse_uniform(body, mult, "db", "rp")
        if chunk is None:
            chunk = parse_chunk(body, mult, 7, "db", "rp", sliced=by_lines)
    except LineProtocolError as exc:
        return ("error", str(exc))
    return (
        [(p.name, p.tags, list(p.tags), p.fields, list(p.fields), p.time) for p in chunk.rows()],
        [type(v) for p in chunk.rows() for v in p.fields.values()],
        chunk.series.names,
        chunk.series.tags,
        chunk.series_codes.tolist(),
        chunk.layouts,
        {k: (c.values.dtype, c.present is None) for k, c in chunk.fields.items()},
    )


@pytest.mark.parametrize("odd", [0.0, 0.1, 0.4])
def test_a_uniform_parse_is_the_per_line_parse(odd: float) -> None:
    rng = random.Random(5)
    uniform = 0
    for _ in range(3000):
        body = _body(rng, odd)
        mult = rng.choice([1, 10**9])
        uniform += parse_uniform(body, mult) is not None
        assert _outcome(body, mult) == _outcome(body, mult, by_lines=True), body
    assert uniform > {0.0: 1000, 0.1: 100, 0.4: 20}[odd]  # the uniform path was really taken


def test_a_collectors_body_is_uniform_with_typed_columns() -> None:
    body = "".join(
        f"cpu,host=h{i % 3} usage=1.{i},count={i}i,load=.{i} {1600000000000000000 + i}\n"
        for i in range(50)
    )
    chunk = parse_uniform(body.encode(), 1, "db", "rp")
    assert chunk is not None and len(chunk) == 50
    assert chunk.layouts == [("usage", "count", "load")]
    assert chunk.fields["count"].values.dtype == np.int64
    assert chunk.fields["usage"].values.tolist()[:2] == [1.0, 1.1]
    assert chunk.series.tags == [{"host": "h0"}, {"host": "h1"}, {"host": "h2"}]
    assert chunk.series_codes.tolist()[:4] == [0, 1, 2, 0]
    assert chunk.time.tolist()[-1] == 1600000000000000049


@pytest.mark.parametrize(
    "body",
    [
        "m v=1 1\nm v=2",  # a line without a time
        "m v=1 1\nm w=2 2",  # another field key
        "m v=1 1\nm v=2i 2",  # a column of floats and integers
        "m v=1 1\nm v=1,w=2 2",  # another layout
        "m v=1 1\n\nm v=2 2",  # a blank line
        "m v=1  1",  # two spaces
        "m v=1 1 2\nm v=1",  # three spaces and one: two a line on average only
        "m v=1,v=2 1",  # a repeated key
        "m v=true 1",  # a boolean
        "m v=1 9223372036854775808",  # a time out of range
    ],
)
def test_bodies_that_are_not_quite_uniform_are_left_to_the_line_parser(body: str) -> None:
    tmin, tmax, _ = lp._time_check(1)
    assert split_uniform(body, body, tmin, tmax) is None
    assert _outcome(body, 1) == _outcome(body, 1, by_lines=True)


def test_a_tally_and_wanted_apply_to_a_uniform_body() -> None:
    body = "a v=1 1\nb v=2 2\na v=3 3\n"
    tally: dict[str, int] = {}
    chunk = parse_uniform(body, 1, "db", "rp", lambda name: name == "c", tally)
    assert chunk is not None and len(chunk) == 0
    assert tally == {"a": 2, "b": 1}
    chunk = parse_uniform(body, 10**9, "db", "rp", lambda name: name == "b")
    assert chunk is not None and chunk.time.tolist() == [10**9, 2 * 10**9, 3 * 10**9]
