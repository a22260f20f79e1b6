"""The columnar lambda backend against the per-point compiler, row by row, on the same chunks."""

from __future__ import annotations

import random

import numpy as np
import pytest

from kapacitrio.engine.nodes._columnar import predicate_mask
from kapacitrio.models.lpcolumns import parse_chunk
from kapacitrio.tick.columnar import compile_columnar
from kapacitrio.tick.errors import EvalError
from kapacitrio.tick.lambdas import compile_expression
from kapacitrio.tick.parser import parse_expression

EXPRESSIONS = [
    '"v" > 50',
    '"v" > 50.5 AND "host" == \'a\'',
    '"v" < 20 OR "v" >= 80.0',
    '"i" + 2',
    '"i" - "j"',
    '"i" * "i"',
    '"i" / "j"',
    '"i" % "j"',
    '"v" / 0.0',
    '"v" * 2.5 - 1.0',
    '-"i"',
    '-"v" < -10',
    '!"b"',
    '"b" == TRUE',
    '"b" != "b"',
    '"i" == 3',
    '"i" < 2.5',
    '"v" != 10',
    '"host" =~ /^a/',
    '"host" !~ /b$/',
    '"host" == "dc"',
    "\"host\" < 'b'",
    'isPresent("opt")',
    'isPresent("host")',
    'isPresent("nothere")',
    'sqrt("v" - 50.0)',
    'floor("v" - 50.0)',
    'ceil(-"v" / 100.0)',
    'trunc(-"v" / 1000.0)',
    'abs("v" - 50.0)',
    'int("v")',
    'float("i")',
    'string("i")',
    'bool("b")',
    'if("b", "v", 0.0)',
    'log("v")',
    'pow("v", 2.0)',
    'strLength("host")',
    '"v" + "i"',
    '"missing" > 1',
    '"opt" > 1',
    '"v" > 50 OR "opt" > 1',
    "\"s\" == 'x'",
    "\"s\" + '!'",
    '"time" > 0',
    '"v" > 50 AND "i"',
    "\"dc\" == 'east'",
    'abs("i")',
    "TRUE",
    'FALSE AND "opt" > 1',
    "TRUE OR \"host\" == 'a'",
    '"b" AND "opt" > 1',
    "1 + 2 > 2",
]

#: Expressions that go point by point for the whole plain chunk (type errors, times, missing).
PER_POINT_ON_PLAIN = {
    '"v" + "i"',
    '"missing" > 1',
    "\"s\" == 'x'",
    "\"s\" + '!'",
    '"time" > 0',
    '"v" > 50 AND "i"',
    'abs("i")',
    "1 + 2 > 2",
    "\"host\" < 'b'",
}

STATEFUL = ['sigma("v") > 1', "count() > 2", "now() > 0", 'spread("v") > 0']


def _bodies() -> list[str]:
    rng = random.Random(5)
    out = []
    for with_strings, conflict in ((False, False), (False, True), (True, True)):
        lines = []
        for t in range(60):
            host = rng.choice([",host=a", ",host=ab", ",host=b", ""])
            dc = rng.choice([",dc=east", ",dc=a", ""])
            fields = [
                f"v={rng.choice([0.0, 12.5, 50.0, 50.5, 79.9, 80.0, 99.0, -3.25])}",
                f"i={rng.choice([0, 1, 2, 3, -7, 9223372036854775807, -9223372036854775808])}i",
                f"j={rng.choice([0, 1, -2, 3])}i",
                f"b={rng.choice(['t', 'f'])}",
            ]
            if rng.random() < 0.5:
                fields.append(f"opt={rng.choice([0.5, 2.0])}")
            if with_strings and rng.random() < 0.7:
                fields.append(f's="{rng.choice(["x", "y z"])}"')
            if conflict and rng.random() < 0.1:
                fields.append("host=1.5")  # a field named like a tag
            lines.append(f"m{host}{dc} {','.join(fields)} {t}")
        out.append("\n".join(lines))
    return out


def _per_point(expr_text: str, chunk) -> list:
    inst = compile_expression(parse_expression(expr_text)).instance()
    out = []
    for p in chunk:
        try:
            out.append(("ok", inst.eval(p.time, p.fields, p.tags)))
        except EvalError as exc:
            out.append(("error", str(exc)))
    return out


@pytest.mark.parametrize("body", _bodies(), ids=["plain", "conflict", "strings"])
@pytest.mark.parametrize("expr_text", EXPRESSIONS)
def test_columnar_values_equal_the_per_point_values(expr_text: str, body: str) -> None:
    chunk = parse_chunk(body, 1, 0)
    want = _per_point(expr_text, chunk)
    expr = compile_columnar(parse_expression(expr_text))
    assert expr is not None, expr_text
    res = expr.evaluate(chunk)
    if res is None:  # the whole chunk goes point by point
        assert body != _bodies()[0] or expr_text in PER_POINT_ON_PLAIN, expr_text
        return
    vec, fb = res
    got = vec.pylist(len(chunk))
    for i, (status, value) in enumerate(want):
        if fb[i]:
            continue
        assert status == "ok", (expr_text, i, value)
        assert type(got[i]) is type(value), (expr_text, i, got[i], value)
        assert got[i] == value or (value != value and got[i] != got[i]), (expr_text, i)


def test_most_rows_are_settled_by_columns() -> None:
    chunk = parse_chunk(_bodies()[0], 1, 0)
    res = compile_columnar(parse_expression('"v" > 50.5 AND "host" == \'a\''))
    vec, fb = res.evaluate(chunk)
    # only where the left holds and the tag is absent (AND does not look right otherwise)
    no_host = np.array(["host" not in p.tags for p in chunk])
    assert fb.tolist() == ((chunk.fields["v"].values > 50.5) & no_host).tolist()
    res = compile_columnar(parse_expression('"opt" > 1')).evaluate(chunk)
    assert 0 < res[1].sum() < len(chunk)  # rows without "opt" go point by point


@pytest.mark.parametrize("expr_text", STATEFUL)
def test_stateful_and_clock_functions_have_no_columnar_form(expr_text: str) -> None:
    assert compile_columnar(parse_expression(expr_text)) is None


@pytest.mark.parametrize("body", _bodies(), ids=["plain", "conflict", "strings"])
@pytest.mark.parametrize(
    "expr_text",
    [e for e in EXPRESSIONS if not e.startswith(('"i" +', '"i" -', '"i" *', '"v" *', '-"i"'))],
)
def test_predicate_mask_keeps_and_counts_errors_like_point_by_point(
    expr_text: str, body: str
) -> None:
    chunk = parse_chunk(body, 1, 0)
    inst = compile_expression(parse_expression(expr_text)).instance()
    want_keep, want_errors = [], []
    for p in chunk:
        try:
            want_keep.append(inst.eval_bool(p.time, p.fields, p.tags))
        except EvalError as exc:
            want_keep.append(False)
            want_errors.append(str(exc))
    expr = compile_columnar(parse_expression(expr_text))
    errors: list[str] = []
    keep = predicate_mask(
        expr, chunk, lambda p: inst.eval_bool(p.time, p.fields, p.tags), errors.append
    )
    if keep is None:
        return
    assert keep.tolist() == want_keep
    assert errors == want_errors


def test_regex_runs_once_per_distinct_value() -> None:
    body = "\n".join(f"m,host=h{i % 3} v=1 {i}" for i in range(300))
    chunk = parse_chunk(body, 1, 0)
    calls = []

    class Counting:
        def search(self, s):  # noqa: ANN001, ANN201
            calls.append(s)
            return None if s.endswith("2") else True

    from kapacitrio.tick import columnar

    vec = columnar._regex("=~", chunk_vec(chunk, "host"), Counting())
    assert len(calls) == 3
    assert vec.data.sum() == 200


def chunk_vec(chunk, name):  # noqa: ANN001, ANN201
    from kapacitrio.tick.columnar import _Scope

    return _Scope(chunk).reference(name)


def test_int_division_by_zero_and_min_go_point_by_point() -> None:
    chunk = parse_chunk("m i=7i,j=0i 1\nm i=-7i,j=2i 2\nm i=-9223372036854775808i,j=-1i 3", 1, 0)
    vec, fb = compile_columnar(parse_expression('"i" / "j"')).evaluate(chunk)
    assert fb.tolist() == [True, False, True]
    assert vec.data[1] == -3
    vec, fb = compile_columnar(parse_expression('"i" % "j"')).evaluate(chunk)
    assert vec.data[1] == -1
    assert np.asarray(fb).tolist() == [True, False, True]


def test_a_condition_is_evaluated_once_per_chunk_for_every_task() -> None:
    chunk = parse_chunk(_bodies()[0], 1, 0)
    a = compile_columnar(parse_expression("\"host\" == 'a'"))
    b = compile_columnar(parse_expression("  \"host\"   ==  'a'  "))
    c = compile_columnar(parse_expression("\"host\" == 'b'"))
    assert a.key == b.key != c.key
    first = a.evaluate_bool(chunk)
    assert b.evaluate_bool(chunk) is first  # shared through the chunk's memo
    assert c.evaluate_bool(chunk)[0].tolist() == [p.tags.get("host") == "b" for p in chunk]
