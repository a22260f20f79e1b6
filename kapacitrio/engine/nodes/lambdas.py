"""Compiling a node's lambda property once and keeping one evaluator instance per group."""

from __future__ import annotations

from typing import Any


def compile_lambda(node: Any) -> Any:
    """Compile a `LambdaNode` (or expression) with the language's compiler."""
    from kapacitrio.tick.lambdas import compile_expression

    return compile_expression(node)


class PerGroup:
    """Lazily created expression instances, one per group ID."""

    def __init__(self, compiled: Any) -> None:
        self.compiled = compiled
        self.instances: dict[str, Any] = {}

    def get(self, group: str) -> Any:
        inst = self.instances.get(group)
        if inst is None:
            inst = self.instances[group] = self.compiled.instance()
        return inst

    def drop(self, group: str) -> None:
        self.instances.pop(group, None)
