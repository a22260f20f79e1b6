"""Line protocol parsing: escapes, value types, precision, errors naming the line."""

from __future__ import annotations

import pytest

from kapacitrio.models.lineprotocol import (
    LineProtocolError,
    measurement_of,
    parse_lines,
    validate_line,
)


def test_simple_line_with_tags_and_time() -> None:
    [p] = parse_lines(b"cpu,host=a,dc=x value=1.5 1000", "n", 0, "db", "rp")
    assert (p.name, p.tags, p.fields, p.time, p.db, p.rp) == (
        "cpu",
        {"host": "a", "dc": "x"},
        {"value": 1.5},
        1000,
        "db",
        "rp",
    )


def test_value_types() -> None:
    body = 'm i=-3i,u=7u,f=1e3,s="hi",b1=t,b2=FALSE,b3=True,b4=f,neg=-.5 1'
    [p] = parse_lines(body)
    assert p.fields == {
        "i": -3,
        "u": 7,
        "f": 1000.0,
        "s": "hi",
        "b1": True,
        "b2": False,
        "b3": True,
        "b4": False,
        "neg": -0.5,
    }
    assert type(p.fields["i"]) is int and type(p.fields["f"]) is float


def test_escapes_everywhere() -> None:
    line = r'my\ meas\,x,ta\=g=v\,a\ l f\ k="a \"q\" \\ b",g=1 5'
    [p] = parse_lines(line)
    assert p.name == "my meas,x"
    assert p.tags == {"ta=g": "v,a l"}
    assert p.fields == {"f k": 'a "q" \\ b', "g": 1.0}
    assert measurement_of(line) == "my meas,x"


def test_string_field_with_spaces_and_commas() -> None:
    [p] = parse_lines('log msg="a, b c=d",n=1i 7')
    assert p.fields == {"msg": "a, b c=d", "n": 1}
    assert p.time == 7


@pytest.mark.parametrize(
    ("precision", "factor"),
    [
        ("n", 1),
        ("u", 1_000),
        ("ms", 1_000_000),
        ("s", 10**9),
        ("m", 60 * 10**9),
        ("h", 3600 * 10**9),
    ],
)
def test_precisions(precision: str, factor: int) -> None:
    [p] = parse_lines("m v=1 3", precision)
    assert p.time == 3 * factor


def test_missing_timestamp_uses_now_truncated_to_precision() -> None:
    [p] = parse_lines("m v=1", "s", now_ns=5_700_000_000)
    assert p.time == 5_000_000_000


def test_blank_and_comment_lines_are_skipped() -> None:
    pts = parse_lines(b"\n# comment\nm v=1 1\n\r\nm v=2 2\n")
    assert [p.fields["v"] for p in pts] == [1.0, 2.0]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("cpu", "missing fields"),
        ("cpu v=", "missing field value"),
        ("cpu v=1 abc", "bad timestamp"),
        ("cpu,host v=1", "missing tag value"),
        ("cpu v=1_0", "invalid number"),
        ('cpu v="a', "unbalanced quotes"),
        ("cpu v=yes", "invalid boolean"),
        ("cpu =1", "missing field key"),
        ("cpu v=99999999999999999999i", "value out of range"),
    ],
)
def test_bad_lines_name_the_line(line: str, reason: str) -> None:
    with pytest.raises(LineProtocolError) as exc:
        parse_lines(f"ok v=1 1\n{line}\n")
    assert str(exc.value).startswith(f"unable to parse '{line}': ")
    assert reason in str(exc.value)
    with pytest.raises(LineProtocolError):
        validate_line(line)


def test_validate_accepts_what_parse_accepts() -> None:
    for line in ["m v=1", 'm,a=b s="x y",i=1i 10', r"a\ b,c\,d=e\ f g=t -5"]:
        validate_line(line)
        parse_lines(line)


def test_unknown_precision() -> None:
    with pytest.raises(LineProtocolError, match="precision"):
        parse_lines("m v=1", "weeks")


def test_fast_and_full_parsers_agree() -> None:
    from kapacitrio.models import lineprotocol as lp

    for line in ["cpu,a=b,c=d x=1,y=-2i,z=3u,t=T,f=1.5e3 17", "m v=+.5", "m,t=1 v=false -9"]:
        fast = lp._parse_plain(line, 1, 0, "", "")
        key, fields, ts = lp._sections_slow(line)
        assert fast is not None
        assert (fast.name, fast.tags) == lp._parse_key(key)
        assert fast.fields == lp._parse_fields(fields)
        assert fast.time == (lp._parse_time(ts, 1) if ts else 0)
