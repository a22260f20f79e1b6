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
        missing = [k for k in self.fields if k not in fields]
        if not missing:
            return fields
        self.stats["fields_defaulted"] += len(missing)
        out = dict(fields)
        for k in missing:
            out[k] = self.fields[k]
        return out

    def _tags(self, tags: dict[str, str]) -> dict[str, str]:
        missing = [k for k in self.tags if not tags.get(k)]
        if not missing:
            return tags
        self.stats["tags_defaulted"] += len(missing)
        out = dict(tags)
        for k in missing:
            out[k] = self.tags[k]
        return out

    def point(self, p: Point, parent: int) -> None:
        fields = self._fields(p.fields)
        tags = self._tags(p.tags)
        if fields is p.fields and tags is p.tags:
            self.out.append(p)
            return
        group = p.dimensions.group_id(p.name, tags) if tags is not p.tags else p.group
        self.out.append(p.copy_with(fields=fields, tags=tags, group=group))

    def batch(self, b: Batch, parent: int) -> None:
        points = [
            BatchPoint(bp.time, self._fields(bp.fields), self._tags(bp.tags)) for bp in b.points
        ]
        tags = b.tags
        missing = {k: v for k, v in self.tags.items() if not tags.get(k)}
        if missing:
            tags = {**tags, **missing}
        self.emit(b.copy_with(points=points, tags=tags))
