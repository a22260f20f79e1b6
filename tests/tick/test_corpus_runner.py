"""The language case runner fails a case whose expectation is wrong, so a corpus pass means something."""

from __future__ import annotations

import pytest

from kapacitrio.tick.corpus import run_case

EVAL_OK = {"name": "sum", "expr": "1 + 2", "expect": 3, "type": "int", "error": ""}
CALL_OK = {
    "name": "abs",
    "call": {"func": "abs", "args": [-2.5]},
    "expect": 2.5,
    "type": "float",
    "error": "",
}


def test_correct_cases_pass():
    assert run_case(EVAL_OK, "eval").passed
    assert run_case(CALL_OK, "eval").passed
    assert run_case({"name": "f", "input": "var x = 1", "output": "var x = 1\n"}, "format").passed
    lex_case = {"input": "!", "tokens": [["TokenNot", 0, "!"], ["TokenEOF", 1, ""]]}
    assert run_case(lex_case, "lex").passed


@pytest.mark.parametrize(
    ("kind", "case", "detail"),
    [
        ("eval", {**EVAL_OK, "expect": 4}, "result 3, want 4"),
        ("eval", {**EVAL_OK, "type": "float"}, "of type int, want 3 of type float"),
        ("eval", {**EVAL_OK, "error": "boom"}, "want error 'boom'"),
        ("eval", {**EVAL_OK, "expr": "1 +"}, "unexpected"),
        ("eval", {**CALL_OK, "expect": 2.0}, "result 2.5, want 2.0"),
        ("eval", {**CALL_OK, "call": {"func": "abs", "args": ["x"]}}, "unexpected error"),
        ("format", {"input": "var x = 1", "output": "var x = 2\n"}, "want 'var x = 2\\n'"),
        ("parse", {"input": "var x = 1", "ok": False, "error": "e"}, "parsed, want error"),
        ("parse", {"input": "var x = ", "ok": True}, "unexpected error"),
        ("parse", {"input": "f('a')", "ok": True, "stringLiteral": "b"}, "want 'b'"),
        ("lex", {"input": "!", "tokens": [["TokenNot", 0, "!"]]}, "tokens"),
    ],
)
def test_wrong_expectations_fail_with_a_reason(kind, case, detail):
    result = run_case({"name": "mutated", **case}, kind)
    assert not result.passed
    assert detail in result.detail


def test_a_crashing_case_is_a_failure_not_a_crash():
    result = run_case({"name": "no input"}, "lex")
    assert not result.passed
    assert result.detail.startswith("unexpected KeyError")
