"""`groupBy`: regroups points (new dimensions) and batches (split by point tags, held per tmax)."""

from __future__ import annotations

from typing import Any

from kapacitrio.engine import snapcodec as codec
from kapacitrio.engine.node import NodeRuntime, register
from kapacitrio.engine.nodes._common import dims_from
from kapacitrio.models.columns import ColumnChunk
from kapacitrio.models.point import Barrier, Batch, BatchPoint, Dimensions, Point


@register("groupBy")
class GroupByRuntime(NodeRuntime):
    """Sets each message's dimensions from the tag list (or `*` minus `exclude`).

    Regrouped batches are held until a batch or barrier with another `tmax` arrives, as Kapacitor
    does; the last held batches are not emitted when the task stops.
    """

    def __init__(self, spec: Any, ctx: Any) -> None:
        super().__init__(spec, ctx)
        self.by_name = bool(spec.props.get("byMeasurement"))
        self._dims = {
            False: dims_from(spec.args, False, spec.props.get("exclude")),
            True: dims_from(spec.args, True, spec.props.get("exclude")),
        }
        self.pending: dict[str, Batch] = {}
        self.pending_tmax: int | None = None

    def dims_for(self, by_name: bool, tags: dict[str, str]) -> Dimensions:
        d = self._dims[self.by_name or by_name]
        return d(tags) if callable(d) else d

    def point_chunk(self, chunk: Any, parent: int) -> int:
        """A columnar chunk regrouped per series (its rows and columns are shared as they are)."""
        if type(chunk) is not ColumnChunk:
            return -1
        s = chunk.series
        dims = [
            self.dims_for(False if s.dims is None else s.dims[i].by_name, tags)
            for i, tags in enumerate(s.tags)
        ]
        groups = [d.group_id(nm, tags) for d, nm, tags in zip(dims, s.names, s.tags, strict=True)]
        self.emit_chunk(chunk.derive(series=s.regrouped(groups, dims)))
        return len(chunk)

    def point(self, p: Point, parent: int) -> None:
        d = self.dims_for(p.dimensions.by_name, p.tags)
        self.out.append(p.copy_with(dimensions=d, group=d.group_id(p.name, p.tags)))

    def batch(self, b: Batch, parent: int) -> None:
        if self.pending_tmax is not None and b.tmax != self.pending_tmax:
            self._flush_pending()
        self.pending_tmax = b.tmax
        for bp in b.points:
            d = self.dims_for(b.dimensions.by_name, bp.tags)
            group = d.group_id(b.name, bp.tags)
            held = self.pending.get(group)
            if held is None:
                held = Batch(b.name, d.group_tags(bp.tags), b.tmax, [], group, d, b.db, b.rp)
                self.pending[group] = held
            held.points.append(bp)

    def _flush_pending(self) -> None:
        for held in self.pending.values():
            held.points.sort(key=_time_of)
            self.emit(held)
        self.pending = {}
        self.pending_tmax = None

    def barrier(self, b: Barrier, parent: int) -> None:
        if self.pending_tmax is not None and b.time != self.pending_tmax:
            self._flush_pending()
        self.emit(b)

    def cardinality(self) -> int:
        return len(self.pending)

    # -- state handover: the regrouped batches held for the current tmax
    def snapshot(self) -> Any:
        if self.pending_tmax is None:
            return None
        return [self.pending_tmax, [[g, codec.batch(b)] for g, b in self.pending.items()]]

    def restore(self, data: Any) -> None:
        tmax, pending = data
        held = {str(g): codec.batch_of(b) for g, b in pending}
        self.pending_tmax, self.pending = codec.integer(tmax), held


def _time_of(bp: BatchPoint) -> int:
    return bp.time
