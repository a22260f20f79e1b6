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


def _routed(body, by_name, default=None, mult=1, default_time=0):
    from kapacitrio.models.lineprotocol import parse_routed

    runs = parse_routed(body, mult, default_time, "db", "rp", by_name, default)
    return [(t, [(p.name, p.tags, p.fields, p.time, p.db, p.rp) for p in pts]) for t, pts in runs]


def _careful(body, by_name, default=None, mult=1, default_time=0):
    """What parse_routed must give, built line by line with the careful parser."""
    from kapacitrio.models import lineprotocol as lp

    out = []
    for line in lp.iter_lines(body):
        targets = by_name.get(lp.measurement_of(line), default)
        p = lp.parse_line(line, mult, default_time, "db", "rp")
        if targets:
            row = (p.name, p.tags, p.fields, p.time, p.db, p.rp)
            if out and out[-1][0] is targets:
                out[-1][1].append(row)
            else:
                out.append((targets, [row]))
    return out


def test_routed_runs_keep_body_order() -> None:
    a, b = ["A"], ["B"]
    body = "m1,h=x v=1 1\nm1 v=2i 2\nm2 v=t 3\nm1 v=3u 4\nother v=1 5\n"
    assert _routed(body, {"m1": a, "m2": b}) == [
        (a, [("m1", {"h": "x"}, {"v": 1.0}, 1, "db", "rp"), ("m1", {}, {"v": 2}, 2, "db", "rp")]),
        (b, [("m2", {}, {"v": True}, 3, "db", "rp")]),
        (a, [("m1", {}, {"v": 3}, 4, "db", "rp")]),
    ]


def test_routed_wildcard_and_default_time() -> None:
    w = ["W"]
    assert _routed("m v=1\nn,t=1 x=-2i", {}, w, mult=10**9, default_time=5 * 10**9) == [
        (
            w,
            [
                ("m", {}, {"v": 1.0}, 5 * 10**9, "db", "rp"),
                ("n", {"t": "1"}, {"x": -2}, 5 * 10**9, "db", "rp"),
            ],
        )
    ]


@pytest.mark.parametrize(
    "bad",
    [
        "nomatch v=1 99999999999",  # outside int64 once multiplied by the precision
        "nomatch v=1e999",
        "nomatch v=-1u",
        "nomatch v=1 ٣",  # not an ASCII digit
        "nomatch,t=a=b v=1",
        'nomatch v="open',
    ],
)
def test_a_bad_line_rejects_the_body_even_when_nothing_wants_it(bad: str) -> None:
    body = f"m v=1 1\n{bad}\nm v=2 2\n"
    with pytest.raises(LineProtocolError) as exc:
        _routed(body, {"m": ["A"]}, mult=10**9)
    assert str(exc.value).startswith(f"unable to parse '{bad}': ")


def test_fast_body_path_agrees_with_the_careful_parser() -> None:
    import random

    rng = random.Random(7)
    names = ["m", "cpu", "a=b", "m\\ x", "#c", "é"]
    tags = ["", ",h=a", ",h=a,k=é", ",a\\ b=v", ",h=", ",h=a=b"]
    values = [
        "1",
        "-1.5",
        ".5",
        "5.",
        "+1",
        "1e5",
        "1E-9",
        "-2i",
        "+3i",
        "3u",
        "-3u",
        "t",
        "TRUE",
        "false",
        "yes",
        "1_0",
        '"s p,a=ce"',
        "9" * 18 + "i",
        "9" * 19 + "i",
        "9" * 19 + "u",
        "9" * 20 + "u",
        "1e99",
        "1e400",
        "9" * 250,
        "٣",
        "nan",
    ]
    stamps = [
        "",
        " 1",
        " -5",
        " +3",
        " 9223372036",
        " 9223372037",
        " 9223372036854775807",
        " 9223372036854775808",
        " -9223372036854775808",
        " 1_0",
        " ٣",
    ]
    routes = [{"m": ["A"]}, {"m": ["A"], "cpu": ["B"]}, {}]
    for _ in range(3000):
        lines = []
        for _ in range(rng.randint(1, 3)):
            fields = ",".join(
                f"{rng.choice(['v', 'f', 'x y'])}={rng.choice(values)}"
                for _ in range(rng.randint(1, 3))
            )
            lines.append(f"{rng.choice(names)}{rng.choice(tags)} {fields}{rng.choice(stamps)}")
        if rng.random() < 0.2:
            lines.insert(
                rng.randint(0, len(lines)), rng.choice(["", "# note", "  m v=1  ", "m v=1\r"])
            )
        body = "\n".join(lines) + rng.choice(["", "\n"])
        mult = rng.choice([1, 10**9, 3600 * 10**9])
        by_name = rng.choice(routes)
        default = rng.choice([None, ["W"]])
        try:
            want = _careful(body, by_name, default, mult, 7)
        except LineProtocolError as exc:
            with pytest.raises(LineProtocolError) as got:
                _routed(body, by_name, default, mult, 7)
            assert str(got.value) == str(exc), body
        else:
            got = _routed(body, by_name, default, mult, 7)
            assert got == want, body
            assert [type(v) for _, rows in got for r in rows for v in r[2].values()] == [
                type(v) for _, rows in want for r in rows for v in r[2].values()
            ], body


_ATOMS = [
    "cpu", "m", "a b", "a\\ b", "x,y", "x\\,y", "h=1", "k", "=", ",", " ", "  ", '"', '"s"',
    '"a\\"b"', "1", "-1", "1i", "-5i", "9u", "-9u", "1.5", ".5", "1e5", "1e999", "t", "TRUE",
    "nan", "inf", "1_0", "\t", "#", "\\", "99999999999999999999i", "123", "-123",
    "9223372036854775807", "9223372036854775808", "cpu,host=a value=1 10", "cpu value=2",
    'cpu,host=a v=1i,w="x" 5',
]  # fmt: skip


def _outcome(fn):  # type: ignore[no-untyped-def]
    try:
        return [(p.name, p.tags, p.fields, p.time) for p in fn()]
    except LineProtocolError as exc:
        return ("error", str(exc))


def _careful_points(body: str) -> list:
    from kapacitrio.models import lineprotocol as lp

    return [lp._parse_careful(line, 1, 7) for line in lp.iter_lines(body)]


def _routed_points(body: str) -> list:
    from kapacitrio.models import lineprotocol as lp

    return [p for _, pts in lp.parse_routed(body, 1, 7, "", "", {}, [1]) for p in pts]


def test_fast_paths_agree_with_the_careful_parser_on_random_bodies() -> None:
    import functools
    import random

    rng = random.Random(7)
    for _ in range(3000):
        lines = ["".join(rng.choice(_ATOMS) for _ in range(rng.randint(1, 8))) for _ in range(3)]
        body = "\n".join(lines)
        careful = _outcome(functools.partial(_careful_points, body))
        assert _outcome(functools.partial(parse_lines, body, "n", 7)) == careful, body
        assert _outcome(functools.partial(_routed_points, body)) == careful, body


@pytest.mark.parametrize(
    "body",
    [
        b"cpu v=" + b"9" * 5000 + b"i 1",
        b"cpu v=" + b"9" * 5000 + b"u 1",
        b"cpu v=1 " + b"9" * 5000,
        b"cpu v=1 -" + b"9" * 5000,
        b"cpu,t=a v=" + b"9" * 5000 + b"i",
    ],
)
def test_a_5000_digit_integer_is_out_of_range_not_a_crash(body):
    from kapacitrio.models.lineprotocol import LineProtocolError, parse_lines

    with pytest.raises(LineProtocolError, match="out of range|outside range"):
        parse_lines(body, "ns", 0)
