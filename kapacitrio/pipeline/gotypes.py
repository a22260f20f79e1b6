"""Kapacitor's Go-typed view of script values: type names and the reflection-style argument checks."""

from __future__ import annotations

import re
from typing import Any

from kapacitrio.pipeline.spec import STAR, NodeSpec, TimeDimension
from kapacitrio.tick import ast
from kapacitrio.tick.values import Duration

# Go parameter type names used in the node tables.
STRING = "string"
INT = "int64"
FLOAT = "float64"
DURATION = "time.Duration"
BOOL = "bool"
LAMBDA = "*ast.LambdaNode"
ANY = "interface {}"
NODE = "pipeline.Node"

GO_NODE_TYPES: dict[str, str] = {}
"""kind -> Go struct name (`window` -> `WindowNode`), filled by the node table."""


class HandlerRef:
    """The value of an alert handler property method: further calls configure the handler first."""

    __slots__ = ("node", "handler", "go")

    def __init__(self, node: NodeSpec, handler: Any, go: str) -> None:
        self.node = node
        self.handler = handler
        self.go = go


def is_duration(value: Any) -> bool:
    """True for a script duration value."""
    return isinstance(value, Duration)


def go_type(value: Any) -> str:
    """The Go type name Kapacitor would print for a script value (`%T`)."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if is_duration(value):
        return "time.Duration"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, re.Pattern):
        return "*regexp.Regexp"
    if value is STAR:
        return "*ast.StarNode"
    if isinstance(value, list):
        return "[]interface {}"
    if isinstance(value, TimeDimension):
        return "*pipeline.TimeDimension"
    if isinstance(value, NodeSpec):
        if isinstance(value.props.get("udf"), str):  # its kind is the UDF's name
            return "*pipeline.UDFNode"
        return "*pipeline." + GO_NODE_TYPES.get(value.kind, "UDFNode")
    if isinstance(value, HandlerRef):
        return "*pipeline." + value.go
    if isinstance(value, ast.Node):
        return "*ast." + type(value).__name__
    return type(value).__name__


def assignable(value: Any, gotype: str) -> bool:
    """Whether Go would accept `value` for a parameter or field of `gotype`."""
    if gotype == ANY:
        return True
    if value is None:  # a template's zero lambda: a typed nil pointer in Go
        return gotype == LAMBDA
    if gotype == STRING:
        return isinstance(value, str)
    if gotype == BOOL:
        return isinstance(value, bool)
    if gotype == DURATION:
        return is_duration(value)
    if gotype == INT:
        return isinstance(value, int) and not isinstance(value, bool) and not is_duration(value)
    if gotype == FLOAT:
        return isinstance(value, float)
    if gotype == LAMBDA:
        return isinstance(value, ast.LambdaNode)
    if gotype == NODE:
        return isinstance(value, NodeSpec | HandlerRef)
    return False


def check_call(params: tuple[str, ...], args: list[Any]) -> str | None:
    """Check `args` against a Go method signature (`...T` last = variadic); Go's panic text or None."""
    variadic = bool(params) and params[-1].startswith("...")
    fixed = params[:-1] if variadic else params
    if len(args) < len(fixed):
        return "reflect: Call with too few input arguments"
    if not variadic and len(args) > len(fixed):
        return "reflect: Call with too many input arguments"
    for value, gotype in zip(args, fixed, strict=False):
        if not assignable(value, gotype):
            return f"reflect: Call using {go_type(value)} as type {gotype}"
    if variadic:
        elem = params[-1][3:]
        for value in args[len(fixed) :]:
            if not assignable(value, elem):
                return f"reflect: cannot use {go_type(value)} as type {elem} in Call"
    return None


def check_field(gotype: str, value: Any) -> str | None:
    """Check a plain field assignment; Go's panic text or None."""
    if assignable(value, gotype):
        return None
    return f"reflect.Set: value of type {go_type(value)} is not assignable to type {gotype}"


def unwrap(value: Any) -> Any:
    """A handler reference stands for its alert node when passed as a node."""
    return value.node if isinstance(value, HandlerRef) else value
