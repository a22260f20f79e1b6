"""Topic-handler `match` expressions: a lambda over an event's tags with alert functions."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event
from kapacitrio.tick import ast
from kapacitrio.tick.errors import TickError

_FUNCS = {
    "changed": "\x00changed",
    "level": "\x00level",
    "name": "\x00name",
    "taskName": "\x00taskName",
    "alertDuration": "\x00alertDuration",
}
_IDENTS = {
    "OK": levels.OK,
    "INFO": levels.INFO,
    "WARNING": levels.WARNING,
    "CRITICAL": levels.CRITICAL,
}


class MatchError(ValueError):
    """The match expression does not parse or compile."""


def _rewrite(node: Any) -> Any:
    """Replace alert functions by hidden references and level names by numbers."""
    if isinstance(node, ast.FunctionNode) and node.name in _FUNCS and not node.args:
        return ast.ReferenceNode(pos=node.pos, name=_FUNCS[node.name])
    if isinstance(node, ast.IdentifierNode) and node.name in _IDENTS:
        return ast.NumberNode(
            pos=node.pos, value=_IDENTS[node.name], literal=str(_IDENTS[node.name])
        )
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        changes = {}
        for f in dataclasses.fields(node):
            v = getattr(node, f.name)
            if isinstance(v, ast.Node):
                changes[f.name] = _rewrite(v)
            elif isinstance(v, list) and v and isinstance(v[0], ast.Node):
                changes[f.name] = [_rewrite(x) for x in v]
        if changes:
            return dataclasses.replace(node, **changes)
    return node


def compile_match(text: str) -> Callable[[Event], bool] | None:
    """A predicate for the expression, or None for an empty expression; MatchError when invalid."""
    if not text or not text.strip():
        return None
    try:
        from kapacitrio.tick.lambdas import compile_expression
        from kapacitrio.tick.parser import parse_expression

        tree = _rewrite(parse_expression(text))
        expr = compile_expression(tree)
    except TickError as exc:
        raise MatchError(f"invalid match expression: {exc}") from None
    inst = expr.instance()

    def match(event: Event) -> bool:
        from kapacitrio.tick.values import Duration

        fields = {
            "\x00changed": event.state.level != event.previous_level,
            "\x00level": event.state.level,
            "\x00name": event.data.name,
            "\x00taskName": event.data.task_name,
            "\x00alertDuration": Duration(event.state.duration),
        }
        try:
            return bool(inst.eval_bool(event.state.time, fields, event.data.tags))
        except TickError:
            return False

    return match
