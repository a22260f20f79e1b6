"""`delete`: removes fields and tags from points (a deleted dimension tag leaves the group)."""

from __future__ import annotations

from typing import Any

from kapacitrio.engine.node import NodeRuntime, register
from kapacitrio.models.point import Batch, BatchPoint, Dimensions, Point


@register("delete")
class DeleteRuntime(NodeRuntime):
    """Counts `fields_deleted` and `tags_deleted` (only names that were present)."""

    extra_stats = {"fields_deleted": 0, "tags_deleted": 0}

    def __init__(self, spec: Any, ctx: Any) -> None:
        super().__init__(spec, ctx)
        self.fields = list(spec.props.get("fields") or [])
        self.tags = list(spec.props.get("tags") or [])
        self.tag_set = frozenset(self.tags)

    def _strip(self, values: dict[str, Any], names: list[str], stat: str) -> dict[str, Any]:
        present = [k for k in names if k in values]
        if not present:
            return values
        self.stats[stat] += len(present)
        out = dict(values)
        for k in present:
            del out[k]
        return out

    def _dims(self, d: Dimensions) -> Dimensions:
        if not any(t in self.tag_set for t in d.tag_names):
            return d
        return Dimensions(d.by_name, tuple(t for t in d.tag_names if t not in self.tag_set))

    def point(self, p: Point, parent: int) -> None:
        fields = self._strip(p.fields, self.fields, "fields_deleted")
        tags = self._strip(p.tags, self.tags, "tags_deleted")
        if fields is p.fields and tags is p.tags:
            self.out.append(p)
            return
        d = self._dims(p.dimensions)
        self.out.append(
            p.copy_with(fields=fields, tags=tags, dimensions=d, group=d.group_id(p.name, tags))
        )

    def batch(self, b: Batch, parent: int) -> None:
        points = [
            BatchPoint(
                bp.time,
                self._strip(bp.fields, self.fields, "fields_deleted"),
                self._strip(bp.tags, self.tags, "tags_deleted"),
            )
            for bp in b.points
        ]
        d = self._dims(b.dimensions)
        tags = {k: v for k, v in b.tags.items() if k not in self.tag_set}
        self.emit(
            b.copy_with(points=points, tags=tags, dimensions=d, group=d.group_id(b.name, tags))
        )
