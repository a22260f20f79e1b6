"""`default`: sets fields and tags that a point lacks."""

from __future__ import annotations

from typing import Any

from kapacitrio.engine.node import NodeRuntime, register
from kapacitrio.models.point import Batch, BatchPoint, Point


@register("default")
class DefaultRuntime(NodeRuntime):
    """Fills absent fields and absent or empty tags; counts `fields_defaulted`, `tags_defaulted`."""

    extra_stats = {"fields_defaulted": 0, "tags_defaulted": 0}

    def __init__(self, spec: Any, ctx: Any) -> None:
        super().__init__(spec, ctx)
        self.fields: dict[str, Any] = dict(spec.props.get("fields") or {})
        self.tags: dict[str, str] = dict(spec.props.get("tags") or {})

    def _fields(self, fields: dict[str, Any]) -> dict[str, Any]:
        for k in self.fields:
            if k not in fields:
                break
        else:
            return fields
        out = dict(fields)
        for k, v in self.fields.items():
            if k not in out:
                out[k] = v
                self.stats["fields_defaulted"] += 1
        return out

    def _tags(self, tags: dict[str, str]) -> dict[str, str]:
        for k in self.tags:
            if not tags.get(k):
                break
        else:
            return tags
        out = dict(tags)
        for k, v in self.tags.items():
            if not out.get(k):
                out[k] = v
                self.stats["tags_defaulted"] += 1
        return out

    def point(self, p: Point, parent: int) -> None:
        fields = self._fields(p.fields)
        tags = self._tags(p.tags)
        if fields is p.fields and tags is p.tags:
            self.out.append(p)
            return
        group = p.dimensions.group_id(p.name, tags) if tags is not p.tags else p.group
        self.out.append(Point(p.name, tags, fields, p.time, p.db, p.rp, group, p.dimensions))

    def batch(self, b: Batch, parent: int) -> None:
        points = [
            BatchPoint(bp.time, self._fields(bp.fields), self._tags(bp.tags)) for bp in b.points
        ]
        tags = b.tags
        missing = {k: v for k, v in self.tags.items() if not tags.get(k)}
        if missing:
            tags = {**tags, **missing}
        self.emit(b.copy_with(points=points, tags=tags))
