"""Task and template vars: the API's JSON vars in and out, var types and zero values."""

from __future__ import annotations

import re
from typing import Any

from kapacitrio.pipeline import gotypes as g
from kapacitrio.pipeline.spec import STAR, Var
from kapacitrio.tick import ast
from kapacitrio.tick.errors import TickError
from kapacitrio.tick.format import format_node
from kapacitrio.tick.regex import compile_re2, source_of
from kapacitrio.tick.values import Duration, parse_duration

API_TYPES = ("bool", "int", "float", "duration", "string", "regex", "lambda", "star", "list")

TYPE_NAMES = {
    "int": "int",
    "float": "float",
    "string": "string",
    "bool": "boolean",
    "regex": "regex",
    "duration": "duration",
    "lambda": "lambda",
    "list": "list",
    "star": "star",
}
"""API type name -> the name Kapacitor prints in type errors."""


def api_type(value: Any) -> str | None:
    """The API var type of a script value, or None when a value cannot be a var (a node)."""
    if isinstance(value, bool):
        return "bool"
    if g.is_duration(value):
        return "duration"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, re.Pattern):
        return "regex"
    if isinstance(value, ast.LambdaNode):
        return "lambda"
    if isinstance(value, list):
        return "list"
    if value is STAR:
        return "star"
    return None


def zero_value(typ: str) -> Any:
    """The value a missing typed var takes while a template is validated."""
    return {
        "int": 0,
        "float": 0.0,
        "string": "",
        "bool": False,
        "duration": Duration(0),
        "list": [],
        # Go's zero star is a typed nil `*ast.StarNode`, which still groups by `*`.
        "star": STAR,
    }.get(typ)


def _json_type(value: Any) -> str:
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "json.Number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "[]interface {}"
    return "map[string]interface {}"


def _value_from_api(name: str, typ: str, value: Any) -> Any:
    """Convert one JSON var value; raises ValueError with the reason."""
    bad = ValueError(f"invalid var {name}: expected {typ} value, got {_json_type(value)}")
    if typ == "bool":
        if not isinstance(value, bool):
            raise bad
        return value
    if typ == "int":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"invalid var {name}: could not convert {value} to int")
        return int(value)
    if typ == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad
        return float(value)
    if typ == "duration":
        return _duration_from_api(name, value, bad)
    if typ == "string":
        if not isinstance(value, str):
            raise bad
        return value
    if typ == "regex":
        if not isinstance(value, str):
            raise bad
        try:
            return compile_re2(value)
        except (re.error, ValueError, TickError) as exc:
            raise ValueError(f"invalid var {name}: {exc}") from exc
    if typ == "lambda":
        if not isinstance(value, str):
            raise bad
        from kapacitrio.tick.parser import parse_expression

        try:
            expr = parse_expression(value)
        except TickError as exc:
            raise ValueError(f"invalid var {name}: {exc}") from exc
        if isinstance(expr, ast.LambdaNode):
            return expr
        return ast.LambdaNode(expr=expr, pos=expr.pos)
    if typ == "star":
        return STAR
    raise ValueError(f"invalid var {name}: unknown var type {typ!r}")


def _duration_from_api(name: str, value: Any, bad: ValueError) -> Duration:
    if isinstance(value, bool):
        raise bad
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return Duration(int(value))
    if isinstance(value, str):
        try:
            return Duration(parse_duration(value))
        except ValueError as exc:
            raise ValueError(f"invalid var {name}: {exc}") from exc
    raise bad


def var_from_api(name: str, obj: Any) -> Var:
    """One API var object `{"type": ..., "value": ..., "description": ...}`."""
    if not isinstance(obj, dict):
        raise TickError(f"invalid var {name}: expected an object")
    typ = obj.get("type")
    desc = obj.get("description") or ""
    if typ not in API_TYPES:
        raise TickError(f"invalid var {name}: unknown var type {typ!r}")
    value = obj.get("value")
    try:
        if typ == "list":
            if not isinstance(value, list):
                raise ValueError(f"invalid var {name}: var has list type but value is not list")
            items = [var_from_api(name, item) for item in value]
            for item in items:
                if item.type not in ("string", "star"):
                    raise ValueError(
                        f"invalid var {name}: lists may only contain string or star vars, got {item.type}"
                    )
            return Var("list", items, desc)
        return Var(typ, _value_from_api(name, typ, value), desc)
    except ValueError as exc:
        raise TickError(str(exc)) from exc


def vars_from_api(obj: Any) -> dict[str, Var]:
    """Validate and convert an API `vars` object."""
    if obj is None:
        return {}
    if not isinstance(obj, dict):
        raise TickError("invalid vars: expected an object")
    return {name: var_from_api(name, v) for name, v in obj.items()}


def _value_to_api(typ: str, value: Any) -> Any:
    if value is None:
        return None
    if typ == "duration":
        return int(value)
    if typ == "regex":
        return regex_source(value)
    if typ == "lambda":
        return format_node(value.expr if isinstance(value, ast.LambdaNode) else value)
    if typ == "star":
        return None
    if typ == "list":
        return [
            var_to_api(v if isinstance(v, Var) else Var(api_type(v) or "string", v)) for v in value
        ]
    return value


def regex_source(value: Any) -> str:
    """The RE2 text of a compiled regex (what the user wrote)."""
    if not isinstance(value, re.Pattern):
        return str(value)
    return source_of(value)


def var_to_api(var: Var) -> dict[str, Any]:
    # Kapacitor always sends `description` (empty when the var has no comment).
    return {
        "value": _value_to_api(var.type, var.value),
        "type": var.type,
        "description": var.description or "",
    }


def vars_to_api(vars: dict[str, Var]) -> dict[str, Any]:
    """The JSON shape of a task's or template's vars."""
    return {name: var_to_api(v) for name, v in vars.items()}


def predefined_value(name: str, given: Var, typ: str | None) -> Any:
    """The script value of var `name` given by the task's vars, checked against its declared type."""
    if given.type != typ:
        got = TYPE_NAMES.get(given.type, given.type)
        exp = TYPE_NAMES.get(typ or "", "invalid type")
        raise TickError(f"invalid type supplied for {name}, got {got} exp {exp}")
    value = given.value
    if given.type == "list":
        return [v.value if isinstance(v, Var) else v for v in value or []]
    if given.type == "duration" and value is not None:
        return Duration(int(value))
    if given.type == "regex" and isinstance(value, str):
        return compile_re2(value)
    if given.type == "lambda" and isinstance(value, str):
        from kapacitrio.tick.parser import parse_expression

        expr = parse_expression(value)
        return expr if isinstance(expr, ast.LambdaNode) else ast.LambdaNode(expr=expr)
    if given.type == "star":
        return STAR
    return value
