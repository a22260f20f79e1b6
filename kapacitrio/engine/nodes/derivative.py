"""derivative: the rate of change of a field between consecutive points of a group."""

from __future__ import annotations

from typing import Any

import numpy as np

from kapacitrio.engine.node import NodeRuntime, register
from kapacitrio.engine.nodes.window_columns import group_slices
from kapacitrio.models.columns import Column, ColumnChunk
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

    group_table = "prev"

    def cardinality(self) -> int:
        return len(self.prev)

    def snapshot(self) -> Any:
        """Each group's previous time and value."""
        return {gid: [p.time, float(p.value)] for gid, p in self.prev.items()}

    def restore(self, data: Any) -> None:
        groups = {}
        for gid, (time, value) in data.items():
            prev = groups[gid] = _Prev()
            prev.time, prev.value = None if time is None else int(time), float(value)
        self.prev.update(groups)

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
            self.error("cannot perform derivative: elapsed time was 0")
            return None
        rate = (value - v0) / (elapsed / self.unit)
        if self.non_negative and rate < 0:
            return None
        return rate

    def point_chunk(self, chunk: Any, parent: int) -> int:
        """A columnar chunk whose field every row has as a number: rates by columns, per group."""
        if type(chunk) is not ColumnChunk:
            return -1
        col = chunk.fields.get(self.field)
        if col is None or col.present is not None or col.values.dtype.kind not in "fi":
            return -1  # missing or odd values: their errors are worded point by point
        values = col.values.astype(np.float64)  # rounds as float() does
        n = len(chunk)
        plans = []
        for group, idx in group_slices(chunk):
            prev = self.prev.get(group)
            ts, vs = chunk.time[idx], values[idx]
            if prev is None or prev.time is None:
                t0, v0, rows, ts, vs = ts[:-1], vs[:-1], idx[1:], ts[1:], vs[1:]
            else:
                t0 = np.concatenate(([prev.time], ts[:-1]))
                v0 = np.concatenate(([prev.value], vs[:-1]))
                rows = idx
            elapsed = ts - t0
            if len(elapsed) and int(np.abs(elapsed).max()) >= 2**53:
                return -1  # float64 cannot hold this elapsed time exactly: point by point
            plans.append((group, idx, rows, vs, v0, elapsed))
        rates = np.zeros(n, dtype=np.float64)
        emit = np.zeros(n, dtype=np.bool_)
        zero_elapsed = 0
        for group, idx, rows, vs, v0, elapsed in plans:
            prev = self.prev.get(group)
            if prev is None:
                prev = self.prev[group] = _Prev()
            prev.time, prev.value = int(chunk.time[idx[-1]]), float(values[idx[-1]])
            ok = elapsed != 0
            zero_elapsed += int(np.count_nonzero(~ok))
            with np.errstate(all="ignore"):
                rate = (vs - v0) / (elapsed.astype(np.float64) / self.unit)
            if self.non_negative:
                ok &= ~(rate < 0)
            rates[rows] = rate
            emit[rows] = ok
        for _ in range(zero_elapsed):
            self.error("cannot perform derivative: elapsed time was 0")
        out = chunk.take(emit)
        fields = dict(out.fields)
        fields[self.as_] = Column(rates[emit])
        layouts = [lay if self.as_ in lay else (*lay, self.as_) for lay in out.layouts]
        self.emit_chunk(out.derive(fields=fields, layouts=layouts))
        return n

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
