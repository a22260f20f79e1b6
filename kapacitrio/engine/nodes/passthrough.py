"""Simple per-message nodes: `log`, `noOp`, `shift`, `sample` and `union`."""

from __future__ import annotations

from typing import Any

from kapacitrio.engine.node import NodeRuntime, register
from kapacitrio.engine.snapcodec import integer, mapping
from kapacitrio.models.columns import ColumnChunk
from kapacitrio.models.point import Batch, BatchPoint, DeleteGroup, Dimensions, Point
from kapacitrio.models.timefmt import format_rfc3339
from kapacitrio.tick.values import Duration


@register("log")
class LogRuntime(NodeRuntime):
    """Logs each point, and each batch's begin, points and end, at `level` with `prefix`."""

    def __init__(self, spec: Any, ctx: Any) -> None:
        super().__init__(spec, ctx)
        self.level = str(spec.props.get("level") or "INFO").lower()
        if self.level == "warning":
            self.level = "warn"
        self.prefix = str(spec.props.get("prefix") or "")

    def _emit_log(self, message: str, kv: dict[str, Any]) -> None:
        self.ctx.log(self.level, self.spec.name, message, prefix=self.prefix, **kv)

    def point(self, p: Point, parent: int) -> None:
        kv: dict[str, Any] = {"name": p.name, "db": p.db, "rp": p.rp, "group": p.group}
        kv.update(_dims_kv(p.dimensions))
        kv.update({f"tag_{k}": v for k, v in p.tags.items()})
        kv.update({f"field_{k}": v for k, v in p.fields.items()})
        kv["time"] = format_rfc3339(p.time)
        self._emit_log("point", kv)
        self.out.append(p)

    def batch(self, b: Batch, parent: int) -> None:
        head: dict[str, Any] = {"name": b.name, "group": b.group}
        head.update(_dims_kv(b.dimensions))
        head.update({f"tag_{k}": v for k, v in b.tags.items()})
        head["time"] = format_rfc3339(b.tmax)
        self._emit_log("begin batch", head)
        for bp in b.points:
            kv: dict[str, Any] = {f"tag_{k}": v for k, v in bp.tags.items()}
            kv.update({f"field_{k}": v for k, v in bp.fields.items()})
            kv["time"] = format_rfc3339(bp.time)
            self._emit_log("batch point", kv)
        self._emit_log("end batch", {"name": b.name, "time": format_rfc3339(b.tmax)})
        self.out.append(b)


def _dims_kv(d: Dimensions) -> dict[str, Any]:
    kv: dict[str, Any] = {f"dimension_{i}": t for i, t in enumerate(d.tag_names)}
    if d.by_name:
        kv["by_name"] = True
    return kv


@register("noOp")
class NoOpRuntime(NodeRuntime):
    """Swallows everything (counted as collected)."""

    def point(self, p: Point, parent: int) -> None:
        pass

    def batch(self, b: Batch, parent: int) -> None:
        pass

    def barrier(self, b: Any, parent: int) -> None:
        pass

    def delete_group(self, d: DeleteGroup, parent: int) -> None:
        pass


_I64_MIN, _I64_MAX = -(2**63), 2**63 - 1


@register("shift")
class ShiftRuntime(NodeRuntime):
    """Moves point times (and batch tmax) by a fixed duration."""

    def __init__(self, spec: Any, ctx: Any) -> None:
        super().__init__(spec, ctx)
        self.delta = int(spec.args[0]) if spec.args else 0

    def point_chunk(self, chunk: Any, parent: int) -> int:
        """A columnar chunk: one addition over the time column (unless it would leave int64)."""
        if type(chunk) is not ColumnChunk:
            return -1
        t = chunk.time
        d = self.delta
        if len(t) and not (_I64_MIN <= int(t.min()) + d and int(t.max()) + d <= _I64_MAX):
            return -1
        self.emit_chunk(chunk.derive(time=t + self.delta))
        return len(chunk)

    def point(self, p: Point, parent: int) -> None:
        self.out.append(p.copy_with(time=p.time + self.delta))

    def batch(self, b: Batch, parent: int) -> None:
        d = self.delta
        points = [BatchPoint(bp.time + d, bp.fields, bp.tags) for bp in b.points]
        self.emit(b.copy_with(tmax=b.tmax + d, points=points))


@register("sample")
class SampleRuntime(NodeRuntime):
    """Keeps every n-th point per group (int rate) or points on multiples of a duration."""

    def __init__(self, spec: Any, ctx: Any) -> None:
        super().__init__(spec, ctx)
        rate = spec.args[0]
        self.duration = int(rate) if type(rate) is Duration else 0
        self.n = 0 if self.duration else int(rate)
        self.counts: dict[str, int] = {}

    def _keep(self, group: str, t: int) -> bool:
        if self.duration:
            return t % self.duration == 0
        c = self.counts.get(group, 0)
        self.counts[group] = c + 1
        return self.n <= 0 or c % self.n == 0

    def point(self, p: Point, parent: int) -> None:
        if self._keep(p.group, p.time):
            self.out.append(p)

    def batch(self, b: Batch, parent: int) -> None:
        self.counts.pop(b.group, None)
        self.emit(b.copy_with(points=[bp for bp in b.points if self._keep(b.group, bp.time)]))

    def delete_group(self, d: DeleteGroup, parent: int) -> None:
        self.counts.pop(d.group, None)
        self.emit(d)

    def cardinality(self) -> int:
        return len(self.counts)

    # -- state handover: the count of points seen per group (sampling by count only)
    def keeps_state(self) -> bool:
        return not self.duration

    def snapshot(self) -> Any:
        return dict(self.counts) if self.keeps_state() else None

    def restore(self, data: Any) -> None:
        self.counts.update({str(g): integer(c) for g, c in mapping(data).items()})


@register("union")
class UnionRuntime(NodeRuntime):
    """Passes on every parent's messages in arrival order, optionally renamed."""

    def __init__(self, spec: Any, ctx: Any) -> None:
        super().__init__(spec, ctx)
        self.rename = str(spec.props.get("rename") or "")

    def point(self, p: Point, parent: int) -> None:
        if self.rename:
            d = p.dimensions
            p = p.copy_with(name=self.rename, group=d.group_id(self.rename, p.tags))
        self.out.append(p)

    def batch(self, b: Batch, parent: int) -> None:
        if self.rename:
            b = b.copy_with(name=self.rename, group=b.dimensions.group_id(self.rename, b.tags))
        self.out.append(b)
