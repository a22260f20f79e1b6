"""combine: pair up points of one group and time that satisfy the given lambdas."""

from __future__ import annotations

from itertools import combinations
from math import comb
from typing import Any

from kapacitrio.engine import snapcodec as codec
from kapacitrio.engine.node import NodeRuntime, register
from kapacitrio.engine.nodes.join import closed_by, round_time
from kapacitrio.engine.nodes.lambdas import PerGroup, compile_lambda, dump_all, load_all
from kapacitrio.models.point import Barrier, Batch, DeleteGroup, Dimensions, Point
from kapacitrio.tick.errors import TickError


class _Buffer:
    """Points of one group at one rounded time."""

    __slots__ = ("time", "points")

    def __init__(self, time: int) -> None:
        self.time = time
        self.points: list[Point] = []


@register("combine")
class CombineNode(NodeRuntime):
    """Emits one point per combination of distinct same-time points matching lambda 1..k."""

    def __init__(self, spec, ctx) -> None:
        super().__init__(spec, ctx)
        p = spec.props
        self.exprs = [PerGroup(compile_lambda(a)) for a in spec.args]
        self.names: list[str] = list(p.get("as") or [])
        self.delim: str = p.get("delimiter", ".")
        self.tolerance = int(p.get("tolerance") or 0)
        self.max = int(p.get("max") or 1_000_000)
        self.buffers: dict[str, _Buffer] = {}

    group_table = "buffers"

    def cardinality(self) -> int:
        return len(self.buffers)

    # -- state handover: each group's points at its current time, and the lambdas' state
    def snapshot(self) -> Any:
        buffers = {
            gid: [b.time, [codec.point(p) for p in b.points]] for gid, b in self.buffers.items()
        }
        return {"buffers": buffers, "lambdas": dump_all(self.exprs)}

    def restore(self, data: Any) -> None:
        buffers = {}
        for gid, (time, points) in codec.mapping(data["buffers"]).items():
            buf = buffers[gid] = _Buffer(codec.integer(time))
            buf.points = [codec.point_of(p) for p in points]
        load_all(self.exprs, data["lambdas"])
        self.buffers.update(buffers)

    def point(self, p: Point, parent: int) -> None:
        t = round_time(p.time, self.tolerance)
        buf = self.buffers.get(p.group)
        if buf is not None and buf.time != t:
            self._combine(p.group, buf)
            buf = None
        if buf is None:
            buf = self.buffers[p.group] = _Buffer(t)
        buf.points.append(p)

    def batch(self, b: Batch, parent: int) -> None:
        """Each batch on its own: its points combined per rounded time, in time order."""
        buckets: dict[int, _Buffer] = {}
        for bp in b.points:
            t = round_time(bp.time, self.tolerance)
            buf = buckets.get(t)
            if buf is None:
                buf = buckets[t] = _Buffer(t)
            tags = {**b.tags, **bp.tags}
            buf.points.append(
                Point(b.name, tags, bp.fields, bp.time, b.db, b.rp, b.group, b.dimensions)
            )
        for t in sorted(buckets):
            self._combine(b.group, buckets[t])

    def barrier(self, b: Barrier, parent: int) -> None:
        """Combine the buffered points of every group the barrier has moved past."""
        for gid in list(self.buffers) if b.group is None else [b.group]:
            buf = self.buffers.get(gid)
            if buf is not None and closed_by(buf.time, self.tolerance, b.time):
                del self.buffers[gid]
                self._combine(gid, buf)
        self.emit(b)

    def delete_group(self, d: DeleteGroup, parent: int) -> None:
        self.buffers.pop(d.group, None)
        for e in self.exprs:
            e.drop(d.group)
        self.emit(d)

    def _matches(self, group: str, points: list[Point]) -> list[set[int]]:
        out: list[set[int]] = []
        for expr in self.exprs:
            inst = expr.get(group)
            hits = set()
            for i, p in enumerate(points):
                try:
                    if inst.eval_bool(p.time, p.fields, p.tags):
                        hits.add(i)
                except TickError as exc:
                    self.error(str(exc))
            out.append(hits)
        return out

    def _combine(self, group: str, buf: _Buffer) -> None:
        points, k = buf.points, len(self.exprs)
        if len(points) < k:
            return
        total = comb(len(points), k)
        if total > self.max:
            self.error(
                f"refusing to perform combination as total combinations {total}"
                f" exceeds max combinations {self.max}"
            )
            return
        matches = self._matches(group, points)
        for combo in combinations(range(len(points)), k):
            chosen = self._assign(list(combo), matches)
            if chosen is not None:
                self.emit(self._merge([points[i] for i in chosen], buf.time))

    @staticmethod
    def _assign(indices: list[int], matches: list[set[int]]) -> list[int] | None:
        """Give each lambda, in order, the first unused point of the combination it matches."""
        chosen = []
        for hits in matches:
            pick = next((i for i in indices if i in hits), None)
            if pick is None:
                return None
            indices.remove(pick)
            chosen.append(pick)
        return chosen

    def _merge(self, points: list[Point], time: int) -> Point:
        first = points[0]
        dims: Dimensions = first.dimensions
        keep = set(dims.tag_names)
        fields: dict = {}
        tags = {k: v for k, v in first.tags.items() if k in keep}
        for name, p in zip(self.names, points, strict=True):
            prefix = name + self.delim
            for k, v in p.fields.items():
                fields[prefix + k] = v
            for k, v in p.tags.items():
                if k not in keep:
                    tags[prefix + k] = v
        return Point(first.name, tags, fields, time, first.db, first.rp, first.group, dims)
