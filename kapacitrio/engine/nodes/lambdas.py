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

    def dump(self) -> dict[str, Any] | None:
        """The stateful-function state of each group's instance; None for a stateless lambda
        (its instances are all alike)."""
        if not self.compiled.stateful:
            return None
        return {gid: inst.dump_state() for gid, inst in self.instances.items()}

    def loaded(self, data: dict[str, Any] | None) -> dict[str, Any]:
        """Instances carrying the dumped states (checked whole: ValueError, nothing kept)."""
        out: dict[str, Any] = {}
        if not data:
            return out
        if not isinstance(data, dict):
            raise ValueError("lambda states are not a mapping")
        for gid, state in data.items():
            inst = out[gid] = self.compiled.instance()
            inst.load_state(state)
        return out

    def load(self, data: dict[str, Any] | None) -> None:
        self.instances.update(self.loaded(data))


def dump_all(exprs: list[PerGroup]) -> list[Any]:
    return [e.dump() for e in exprs]


def load_all(exprs: list[PerGroup], data: Any) -> None:
    """Each lambda's per-group states back (all or nothing)."""
    if not isinstance(data, list) or len(data) != len(exprs):
        raise ValueError("the node's lambdas changed")
    loaded = [e.loaded(d) for e, d in zip(exprs, data, strict=True)]
    for e, instances in zip(exprs, loaded, strict=True):
        e.instances.update(instances)


def dump_instance(inst: Any) -> Any:
    """One expression instance's stateful-function state (None when it has none)."""
    return None if inst is None else inst.dump_state()


def check_instance(inst: Any, data: Any) -> None:
    """ValueError when `data` is not a state `inst` (an instance or None) can take."""
    if inst is not None:
        inst.check_state(data)
    elif data:
        raise ValueError("a lambda state for no lambda")


def load_instance(inst: Any, data: Any) -> None:
    check_instance(inst, data)
    if inst is not None:
        inst.load_state(data)
