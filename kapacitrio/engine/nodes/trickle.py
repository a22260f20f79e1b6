"""trickle: turn each batch into a stream of its points."""

from __future__ import annotations

from kapacitrio.engine.node import NodeRuntime, register
from kapacitrio.models.point import Batch, Point


@register("trickle")
class TrickleNode(NodeRuntime):
    """Each batch point becomes a point with the batch's name, group and the merged tags."""

    def batch(self, b: Batch, parent: int) -> None:
        for bp in b.points:
            tags = {**b.tags, **bp.tags} if b.tags else bp.tags
            self.emit(Point(b.name, tags, bp.fields, bp.time, b.db, b.rp, b.group, b.dimensions))

    def point(self, p: Point, parent: int) -> None:
        """Points are already a stream: passed on as they are."""
        self.emit(p)
