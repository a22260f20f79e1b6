"""Script values as syntax: the literal node a var's value becomes when inlined into a lambda."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from kapacitrio.pipeline import gotypes as g
from kapacitrio.pipeline.spec import STAR
from kapacitrio.pipeline.vars import regex_source
from kapacitrio.tick import ast
from kapacitrio.tick.errors import TickError
from kapacitrio.tick.values import format_duration


def literal(pos: ast.Position, value: Any) -> ast.Node:
    """The literal syntax node for a var's value inlined into a lambda."""
    if value is None:  # a template's zero regex/lambda/star
        return ast.RegexNode(pattern="", literal="", pos=pos)
    if isinstance(value, bool):
        return ast.BoolNode(value=value, pos=pos)
    if g.is_duration(value):
        return ast.DurationNode(ns=int(value), literal=format_duration(int(value)), pos=pos)
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


def substitute(expr: ast.Node, lookup: Callable[[str], Any]) -> ast.Node:
    """A copy of a lambda body with every var replaced by its value (from `lookup`) as a literal."""
    match expr:
        case ast.IdentifierNode():
            return literal(expr.pos, lookup(expr.name))
        case ast.UnaryNode():
            return ast.UnaryNode(op=expr.op, operand=substitute(expr.operand, lookup), pos=expr.pos)
        case ast.BinaryNode():
            return ast.BinaryNode(
                op=expr.op,
                left=substitute(expr.left, lookup),
                right=substitute(expr.right, lookup),
                parens=expr.parens,
                multiline=expr.multiline,
                pos=expr.pos,
            )
        case ast.FunctionNode():
            return ast.FunctionNode(
                name=expr.name,
                args=[substitute(a, lookup) for a in expr.args],
                multiline=expr.multiline,
                pos=expr.pos,
            )
        case ast.LambdaNode():
            return substitute(expr.expr, lookup)
    return expr
