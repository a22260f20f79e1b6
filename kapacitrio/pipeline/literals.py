"""Script values as syntax and text: Go/InfluxQL duration strings, RE2 regexes, literals for lambdas."""

from __future__ import annotations

import re
from typing import Any

from kapacitrio.pipeline import gotypes as g
from kapacitrio.pipeline.spec import STAR
from kapacitrio.pipeline.vars import regex_source
from kapacitrio.tick import ast
from kapacitrio.tick.errors import TickError


def go_duration(ns: int) -> str:
    """Go's `time.Duration.String()`: `10s`, `1m0s`, `1.5s`, `0s`."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    if ns < 1000:
        return f"{sign}{ns}ns"
    if ns < 1_000_000:
        return sign + _frac(ns, 1000) + "µs"
    if ns < 1_000_000_000:
        return sign + _frac(ns, 1_000_000) + "ms"
    hours, rem = divmod(ns, 3600 * 10**9)
    minutes, rem = divmod(rem, 60 * 10**9)
    out = ""
    if hours:
        out += f"{hours}h"
    if hours or minutes:
        out += f"{minutes}m"
    return sign + out + _frac(rem, 10**9) + "s"


def influxql_duration(ns: int) -> str:
    """InfluxQL's duration text (`90s`, `1m`, `1w`), as a duration literal inlined into a lambda."""
    try:
        from kapacitrio.tick.values import format_duration
    except ImportError:  # pragma: no cover
        return f"{ns}ns" if ns % 1000 else f"{ns // 1000}u"
    return format_duration(ns)


def _frac(value: int, unit: int) -> str:
    whole, part = divmod(value, unit)
    if not part:
        return str(whole)
    digits = str(part).rjust(len(str(unit)) - 1, "0").rstrip("0")
    return f"{whole}.{digits}"


def compile_regex(pattern: str) -> re.Pattern:
    """Compile a Go RE2 pattern with the language engineer's translation when present."""
    try:
        from kapacitrio.tick import regex as tregex
    except ImportError:  # pragma: no cover - until tick.regex lands
        return re.compile(pattern)
    for name in ("compile_re2", "compile", "compile_regex"):
        fn = getattr(tregex, name, None)
        if fn is not None:
            return fn(pattern)
    return re.compile(pattern)  # pragma: no cover


def literal(pos: ast.Position, value: Any) -> ast.Node:
    """The literal syntax node for a var's value inlined into a lambda."""
    if value is None:  # a template's zero regex/lambda/star
        return ast.RegexNode(pattern="", literal="", pos=pos)
    if isinstance(value, bool):
        return ast.BoolNode(value=value, pos=pos)
    if g.is_duration(value):
        return ast.DurationNode(ns=int(value), literal=influxql_duration(int(value)), pos=pos)
    if isinstance(value, int | float):
        return ast.NumberNode(value=value, literal=repr(value), pos=pos)
    if isinstance(value, str):
        return ast.StringNode(value=value, pos=pos)
    if isinstance(value, re.Pattern):
        source = regex_source(value)
        return ast.RegexNode(pattern=source, literal=source.replace("/", "\\/"), pos=pos)
    if isinstance(value, ast.LambdaNode):
        return value.expr
    if value is STAR:
        return ast.StarNode(pos=pos)
    if isinstance(value, list):
        return ast.ListNode(items=[literal(pos, v) for v in value], pos=pos)
    if isinstance(value, ast.ReferenceNode):
        return value
    raise TickError(f"unsupported literal type {g.go_type(value)}")
