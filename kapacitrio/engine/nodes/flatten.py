"""flatten: fold the points of one group and time into one point, naming fields by tag values."""

from __future__ import annotations

from typing import Any

from kapacitrio.engine import snapcodec as codec
from kapacitrio.engine.node import NodeRuntime, register
from kapacitrio.engine.nodes.join import closed_by, round_time
from kapacitrio.models.point import Barrier, Batch, BatchPoint, DeleteGroup, Point


class _Pending:
    """The flattened fields of one group at one rounded time."""

    __slots__ = ("time", "first", "fields")

    def __init__(self, time: int, first: Point) -> None:
        self.time = time
        self.first = first
        self.fields: dict = {}


@register("flatten")
class FlattenNode(NodeRuntime):
    """Field `f` of a point with on-tags v1..vn becomes `v1<d>…<d>vn<d>f`."""

    def __init__(self, spec, ctx) -> None:
        super().__init__(spec, ctx)
        p = spec.props
        self.on: list[str] = list(p.get("on") or [])
        self.delim: str = p.get("delimiter", ".")
        self.tolerance = int(p.get("tolerance") or 0)
        self.drop_name = bool(p.get("dropOriginalFieldName", False))
        self.pending: dict[str, _Pending] = {}

    def cardinality(self) -> int:
        return len(self.pending)

    # -- state handover: each group's point being flattened
    def snapshot(self) -> Any:
        return {
            gid: [p.time, codec.point(p.first), codec.plain(p.fields)]
            for gid, p in self.pending.items()
        }

    def restore(self, data: Any) -> None:
        pending = {}
        for gid, (time, first, fields) in codec.mapping(data).items():
            pend = pending[gid] = _Pending(codec.integer(time), codec.point_of(first))
            pend.fields = codec.fields_of(fields)
        self.pending.update(pending)

    def _prefix(self, tags: dict) -> str | None:
        parts = []
        for tag in self.on:
            if tag not in tags:
                self.error(
                    f"point missing tag for flatten operation: tag {tag} is missing from point"
                )
                return None
            parts.append(tags[tag])
        return self.delim.join(parts)

    def _add(self, fields: dict, prefix: str, src: dict) -> None:
        for k, v in src.items():
            if self.drop_name:
                fields[prefix] = v
            else:
                fields[prefix + self.delim + k if prefix else k] = v

    def _out_tags(self, tags: dict, dims_tags: tuple[str, ...]) -> dict:
        return {k: v for k, v in tags.items() if k in dims_tags and k not in self.on}

    def point(self, p: Point, parent: int) -> None:
        t = round_time(p.time, self.tolerance)
        pend = self.pending.get(p.group)
        if pend is not None and pend.time != t:
            self._emit_pending(pend)
            pend = None
        prefix = self._prefix(p.tags)
        if prefix is None:
            return
        if pend is None:
            pend = self.pending[p.group] = _Pending(t, p)
        self._add(pend.fields, prefix, p.fields)

    def _emit_pending(self, pend: _Pending) -> None:
        f = pend.first
        tags = self._out_tags(f.tags, f.dimensions.tag_names)
        self.emit(Point(f.name, tags, pend.fields, pend.time, f.db, f.rp, f.group, f.dimensions))

    def batch(self, b: Batch, parent: int) -> None:
        by_time: dict[int, dict] = {}
        for bp in b.points:
            prefix = self._prefix(bp.tags)
            if prefix is None:
                continue
            t = round_time(bp.time, self.tolerance)
            self._add(by_time.setdefault(t, {}), prefix, bp.fields)
        tags = self._out_tags(b.tags, b.dimensions.tag_names)
        points = [BatchPoint(t, fields, tags) for t, fields in by_time.items()]
        self.emit(b.copy_with(points=points))

    def barrier(self, b: Barrier, parent: int) -> None:
        """Emit the pending point of every group the barrier has moved past."""
        for gid in list(self.pending) if b.group is None else [b.group]:
            pend = self.pending.get(gid)
            if pend is not None and closed_by(pend.time, self.tolerance, b.time):
                del self.pending[gid]
                self._emit_pending(pend)
        self.emit(b)

    def delete_group(self, d: DeleteGroup, parent: int) -> None:
        self.pending.pop(d.group, None)
        self.emit(d)
