"""`delete`: removes fields and tags from points (a deleted dimension tag leaves the group)."""

from __future__ import annotations

from typing import Any

import numpy as np

from kapacitrio.engine.node import NodeRuntime, register
from kapacitrio.models.columns import ColumnChunk, Series
from kapacitrio.models.point import NO_DIMENSIONS, Batch, BatchPoint, Dimensions, Point


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

    def point_chunk(self, chunk: Any, parent: int) -> int:
        """A columnar chunk: fields dropped by column, tags per series (changed rows get a series
        of their own, as a changed point gets new dimensions and group)."""
        if type(chunk) is not ColumnChunk:
            return -1
        n = len(chunk)
        changed = np.zeros(n, dtype=np.bool_)
        fields = dict(chunk.fields)
        for k in self.fields:
            col = fields.pop(k, None)
            if col is None:
                continue
            has = np.ones(n, dtype=np.bool_) if col.present is None else col.present
            self.stats["fields_deleted"] += int(np.count_nonzero(has))
            changed |= has
        s = chunk.series
        rows = np.bincount(chunk.series_codes, minlength=len(s.tags)).tolist()
        tags_changed = np.zeros(len(s.tags), dtype=np.bool_)
        stripped = []
        for i, tags in enumerate(s.tags):
            gone = [k for k in self.tags if k in tags]
            if gone:
                tags_changed[i] = True
                self.stats["tags_deleted"] += len(gone) * rows[i]
                tags = {k: v for k, v in tags.items() if k not in self.tag_set}
            stripped.append(tags)
        changed |= tags_changed[chunk.series_codes]
        if not changed.any():
            self.emit_chunk(chunk)
            return n
        names, all_tags, groups, all_dims = [], [], [], []
        for i, name in enumerate(s.names):
            d = NO_DIMENSIONS if s.dims is None else s.dims[i]
            names += [name, name]
            all_tags += [s.tags[i], stripped[i]]
            nd = self._dims(d)
            groups += ["" if s.groups is None else s.groups[i], nd.group_id(name, stripped[i])]
            all_dims += [d, nd]
        layouts = [tuple(k for k in lay if k not in self.fields) for lay in chunk.layouts]
        out = chunk.derive(
            series_codes=(chunk.series_codes * 2 + changed).astype(np.int32),
            series=Series(names, all_tags, groups, all_dims),
            fields=fields,
            layouts=layouts,
        )
        self.emit_chunk(out)
        return n

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
