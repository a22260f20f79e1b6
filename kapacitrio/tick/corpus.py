"""Runs the TICKscript language cases of the conformance corpus (format, parse, lex and eval files).

`run_file(path)` returns one `CaseResult` per case; `kapacitrio test` and the test-suite use it.
The kind of a file is told by its name (`format.json`, `parse.json`, `lex.json`, `eval.json`) or
given explicitly.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kapacitrio.models.timefmt import parse_rfc3339
from kapacitrio.tick import functions
from kapacitrio.tick.errors import TickError
from kapacitrio.tick.regex import compile_re2, source_of
from kapacitrio.tick.values import Duration, Time, type_name

__all__ = ["CaseResult", "run_file", "run_cases", "run_case", "decode_value", "KINDS"]

KINDS = ("format", "parse", "lex", "eval")


@dataclass(slots=True)
class CaseResult:
    """The outcome of one case: `passed`, and when it failed, `detail` says why."""

    name: str
    kind: str
    passed: bool
    detail: str = ""

    @property
    def reason(self) -> str:
        """The same as `detail` (the name the case-file runner reads)."""
        return self.detail


def kind_of(path: Path) -> str:
    stem = path.stem.lower()
    for kind in KINDS:
        if stem.startswith(kind):
            return kind
    raise ValueError(f"cannot tell the kind of corpus file {path.name}; expected one of {KINDS}")


def run_file(path: str | Path, kind: str | None = None, name_filter: str = "") -> list[CaseResult]:
    """Run every case of one corpus file (optionally only names containing `name_filter`)."""
    path = Path(path)
    cases = json.loads(path.read_text(encoding="utf-8"))
    return run_cases(cases, kind or kind_of(path), name_filter)


def run_cases(cases: list[dict], kind: str, name_filter: str = "") -> list[CaseResult]:
    return [run_case(case, kind) for case in cases if name_filter in case.get("name", "")]


def run_case(case: dict, kind: str) -> CaseResult:
    """Run one case; an unexpected exception is a failure, never a crash of the runner."""
    runner = {"format": _format_case, "parse": _parse_case, "lex": _lex_case, "eval": _eval_case}[
        kind
    ]
    name = case.get("name", "?")
    try:
        detail = runner(case)
    except Exception as err:  # noqa: BLE001 - a broken case must not stop the run
        detail = f"unexpected {type(err).__name__}: {err}"
    return CaseResult(name, kind, detail is None, detail or "")


# ---------------------------------------------------------------------------------------------
# format / parse / lex


def _format_case(case: dict) -> str | None:
    from kapacitrio.tick.format import format_script

    try:
        got = format_script(case["input"])
    except TickError as err:
        return f"error: {err}"
    if got != case["output"]:
        return f"got {got!r}, want {case['output']!r}"
    return None


def _parse_case(case: dict) -> str | None:
    from kapacitrio.tick import ast
    from kapacitrio.tick.parser import parse

    try:
        program = parse(case["input"])
    except TickError as err:
        if case["ok"]:
            return f"unexpected error: {err}"
        if str(err) != case["error"]:
            return f"error {str(err)!r}, want {case['error']!r}"
        return None
    if not case["ok"]:
        return f"parsed, want error {case['error']!r}"
    if "stringLiteral" in case:
        stmts = program.statements
        call = stmts[0].expr if len(stmts) == 1 and hasattr(stmts[0], "expr") else None
        args = getattr(call, "args", None) or []
        if not (
            isinstance(call, ast.FunctionNode)
            and len(args) == 1
            and isinstance(args[0], ast.StringNode)
        ):
            return "not a call with one string literal argument"
        if args[0].value != case["stringLiteral"]:
            return f"string literal {args[0].value!r}, want {case['stringLiteral']!r}"
    return None


def _lex_case(case: dict) -> str | None:
    from kapacitrio.tick.lexer import lex

    got = [[t.name, t.offset, t.text] for t in lex(case["input"])]
    if got != case["tokens"]:
        return f"tokens {got!r}, want {case['tokens']!r}"
    return None


# ---------------------------------------------------------------------------------------------
# eval


def decode_value(obj: Any) -> Any:
    """A corpus value as a runtime value (see the corpus README's encoding table)."""
    if isinstance(obj, dict):
        if "float" in obj:
            return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}[obj["float"]]
        if "ns" in obj:
            return Duration(obj["ns"])
        if "time" in obj:
            return Time(parse_rfc3339(obj["time"]))
        if "regex" in obj:
            return compile_re2(obj["regex"])
        raise ValueError(f"unknown encoded value {obj!r}")
    return obj


_TYPE_NAMES = {"boolean": "bool", "invalid type": "nil"}


def _kind(value: Any) -> str:
    if value is None:
        return "nil"
    name = type_name(value)
    return _TYPE_NAMES.get(name, name)


def _same(got: Any, want: Any) -> bool:
    if isinstance(got, re.Pattern) and isinstance(want, re.Pattern):
        return source_of(got) == source_of(want)
    if isinstance(got, float) and isinstance(want, float) and math.isnan(got) and math.isnan(want):
        return True
    return got == want


def _check(got: Any, want_obj: Any, want_type: str) -> str | None:
    want = decode_value(want_obj)
    if _kind(got) != want_type:
        return f"result {got!r} of type {_kind(got)}, want {want!r} of type {want_type}"
    if not _same(got, want):
        return f"result {got!r}, want {want!r}"
    return None


def _error_matches(err: Exception, case: dict) -> str | None:
    text = str(err)
    if case.get("errorCompare") == "trimspace":
        text = text.strip()
    if text != case["error"]:
        return f"error {text!r}, want {case['error']!r}"
    return None


def _eval_case(case: dict) -> str | None:
    if "call" in case:
        return _function_case(case)
    from kapacitrio.tick.lambdas import compile_expression
    from kapacitrio.tick.parser import parse_expression

    as_type = case.get("evalAs", "any")
    steps = case.get("steps")
    try:
        inst = compile_expression(parse_expression(case["expr"])).instance()
        if steps is None:
            got = inst.eval_scope(_scope(case.get("scope")), as_type)
        else:
            for i, step in enumerate(steps):
                if step.get("reset"):
                    inst.reset()
                got = inst.eval_scope(_scope(step.get("scope")), as_type)
                problem = _check(got, step["expect"], step["type"])
                if problem:
                    return f"step {i}: {problem}"
            return None
    except TickError as err:
        if steps is not None or not case.get("error"):
            return f"unexpected error: {err}"
        return _error_matches(err, case)
    if case.get("error"):
        return f"got {got!r}, want error {case['error']!r}"
    return _check(got, case["expect"], case["type"])


def _scope(obj: dict | None) -> dict:
    return {name: decode_value(value) for name, value in (obj or {}).items()}


def _function_case(case: dict) -> str | None:
    call = case["call"]
    args = [decode_value(a) for a in call["args"]]
    try:
        got = functions.call(call["func"], args)
    except TickError as err:
        if not case.get("error"):
            return f"unexpected error: {err}"
        return _error_matches(err, case)
    if case.get("error"):
        return f"got {got!r}, want error {case['error']!r}"
    return _check(got, case["expect"], case["type"])
