"""derivative: the rate of change of a field between consecutive points of a group."""

from __future__ import annotations

from typing import Any

from kapacitrio.engine.node import NodeRuntime, register
from kapacitrio.models.point import Batch, BatchPoint, DeleteGroup, Point

SECOND = 1_000_000_000


class _Prev:
    __slots__ = ("time", "value")

    def __init__(self) -> None:
        self.time: int | None = None
        self.value: float = 0.0


@register("derivative")
class DerivativeNode(NodeRuntime):
    """Emits each point with `as` set to (v1 - v0) / ((t1 - t0) / unit)."""

    def __init__(self, spec, ctx) -> None:
        super().__init__(spec, ctx)
        self.field = str(spec.args[0])
        self.unit = int(spec.props.get("unit") or SECOND)
        self.non_negative = bool(spec.props.get("nonNegative", False))
        self.as_ = spec.props.get("as") or self.field
        self.prev: dict[str, _Prev] = {}

    def cardinality(self) -> int:
        return len(self.prev)

    def _value(self, fields: dict) -> float | None:
        value: Any = fields.get(self.field)
        if value is None:
            self.error(f'field "{self.field}" is the wrong type: missing from point')
            return None
        if type(value) not in (int, float):
            self.error(
                f"derivative: cannot apply to field {self.field!r} of type {type(value).__name__}"
            )
            return None
        return float(value)

    def _step(self, prev: _Prev, time: int, fields: dict) -> float | None:
        """Advance the state with one point; returns the derivative to emit, if any."""
        value = self._value(fields)
        if value is None:
            return None
        t0, v0 = prev.time, prev.value
        prev.time, prev.value = time, value
        if t0 is None:
            return None
        elapsed = time - t0
        if elapsed == 0:
            if not self.quiet:
                self.ctx.log(
                    "error", self.spec.name, "cannot perform derivative: elapsed time was 0"
                )
            return None
        rate = (value - v0) / (elapsed / self.unit)
        if self.non_negative and rate < 0:
            return None
        return rate

    def point(self, p: Point, parent: int) -> None:
        prev = self.prev.get(p.group)
        if prev is None:
            prev = self.prev[p.group] = _Prev()
        rate = self._step(prev, p.time, p.fields)
        if rate is not None:
            self.emit(p.copy_with(fields={**p.fields, self.as_: rate}))

    def batch(self, b: Batch, parent: int) -> None:
        prev = _Prev()
        points = []
        for bp in b.points:
            rate = self._step(prev, bp.time, bp.fields)
            if rate is not None:
                points.append(BatchPoint(bp.time, {**bp.fields, self.as_: rate}, bp.tags))
        self.emit(b.copy_with(points=points))

    def delete_group(self, d: DeleteGroup, parent: int) -> None:
        self.prev.pop(d.group, None)
        self.emit(d)
