"""`default`: sets fields and tags that a point lacks."""

from __future__ import annotations

from typing import Any

import numpy as np

from kapacitrio.engine.node import NodeRuntime, register
from kapacitrio.models.columns import Column, ColumnChunk, Series, column_from_values
from kapacitrio.models.point import NO_DIMENSIONS, Batch, BatchPoint, Point


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

    def point_chunk(self, chunk: Any, parent: int) -> int:
        """A columnar chunk: absent fields filled by column, tags per series; -1 when a default's
        type differs from its column's (point by point then)."""
        if type(chunk) is not ColumnChunk:
            return -1
        n = len(chunk)
        fields = dict(chunk.fields)
        filled = 0
        for k, v in self.fields.items():
            col = fields.get(k)
            if col is None:
                fields[k] = column_from_values([v] * n)
                filled += n
            elif col.present is not None:
                if col.kind is not type(v):
                    return -1
                values = col.values.copy()
                values[~col.present] = v
                filled += int(np.count_nonzero(~col.present))
                fields[k] = Column(values)
        out = chunk
        if filled:
            layouts = [lay + tuple(k for k in self.fields if k not in lay) for lay in chunk.layouts]
            out = chunk.derive(fields=fields, layouts=layouts)
        self.stats["fields_defaulted"] += filled
        if self.tags:
            out = self._tag_series(out)
        self.emit_chunk(out)
        return n

    def _tag_series(self, chunk: ColumnChunk) -> ColumnChunk:
        """Default tags per series; each series' rows count toward `tags_defaulted`."""
        s = chunk.series
        rows = np.bincount(chunk.series_codes, minlength=len(s.tags)).tolist()
        new_tags, groups, changed = [], [], False
        for i, tags in enumerate(s.tags):
            missing = [k for k in self.tags if not tags.get(k)]
            group = "" if s.groups is None else s.groups[i]
            if missing:
                changed = True
                self.stats["tags_defaulted"] += len(missing) * rows[i]
                tags = {**tags, **{k: self.tags[k] for k in missing}}
                dims = NO_DIMENSIONS if s.dims is None else s.dims[i]
                group = dims.group_id(s.names[i], tags)
            new_tags.append(tags)
            groups.append(group)
        if not changed:
            return chunk
        series = Series(
            s.names, new_tags, None if s.groups is None and not any(groups) else groups, s.dims
        )
        return chunk.derive(series=series)

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
