"""stateDuration and stateCount: how long / how many points a group has satisfied a lambda."""

from __future__ import annotations

from typing import Any

from kapacitrio.engine.node import NodeRuntime, register
from kapacitrio.engine.nodes.lambdas import PerGroup, compile_lambda
from kapacitrio.engine.snapcodec import integer, mapping
from kapacitrio.models.point import Batch, BatchPoint, DeleteGroup, Point
from kapacitrio.tick.errors import TickError

SECOND = 1_000_000_000


class _StateNode(NodeRuntime):
    """Shared shape: evaluate the lambda per point, update per-group state, add one field."""

    default_as = ""

    def __init__(self, spec, ctx) -> None:
        super().__init__(spec, ctx)
        self.expr = PerGroup(compile_lambda(spec.args[0]))
        self.as_ = spec.props.get("as") or self.default_as
        self.state: dict[str, object] = {}

    group_table = "state"

    def cardinality(self) -> int:
        return len(self.state)

    # -- state handover: each group's start (time or count) and its lambda's state
    def snapshot(self) -> Any:
        return {"state": dict(self.state), "lambda": self.expr.dump()}

    def restore(self, data: Any) -> None:
        state = {str(g): integer(v) for g, v in mapping(data["state"]).items()}
        instances = self.expr.loaded(data.get("lambda"))
        self.state.update(state)
        self.expr.instances.update(instances)

    def _value(self, group: str, time: int, fields: dict, tags: dict) -> object | None:
        try:
            ok = self.expr.get(group).eval_bool(time, fields, tags)
        except TickError as exc:
            self.error(f"error while evaluating expression: {exc}")
            return None
        return self.update(group, time, ok)

    def update(self, group: str, time: int, ok: bool) -> object:
        raise NotImplementedError

    def point(self, p: Point, parent: int) -> None:
        value = self._value(p.group, p.time, p.fields, p.tags)
        if value is not None:
            self.emit(p.copy_with(fields={**p.fields, self.as_: value}))

    def batch(self, b: Batch, parent: int) -> None:
        self.state.pop(b.group, None)  # each batch starts outside the state
        points = []
        for bp in b.points:
            value = self._value(b.group, bp.time, bp.fields, bp.tags)
            if value is not None:
                points.append(BatchPoint(bp.time, {**bp.fields, self.as_: value}, bp.tags))
        self.emit(b.copy_with(points=points))

    def delete_group(self, d: DeleteGroup, parent: int) -> None:
        self.state.pop(d.group, None)
        self.expr.drop(d.group)
        self.emit(d)


@register("stateDuration")
class StateDurationNode(_StateNode):
    """Field = time in the state so far in `unit`s (float), -1.0 outside the state."""

    default_as = "state_duration"

    def __init__(self, spec, ctx) -> None:
        super().__init__(spec, ctx)
        self.unit = int(spec.props.get("unit") or SECOND)

    def update(self, group: str, time: int, ok: bool) -> object:
        if not ok:
            self.state.pop(group, None)
            return -1.0
        start = self.state.setdefault(group, time)
        return (time - start) / self.unit


@register("stateCount")
class StateCountNode(_StateNode):
    """Field = number of consecutive points in the state (int), -1 outside the state."""

    default_as = "state_count"

    def update(self, group: str, time: int, ok: bool) -> object:
        if not ok:
            self.state.pop(group, None)
            return -1
        count = self.state.get(group, 0) + 1
        self.state[group] = count
        return count
