"""`httpOut`: keeps the latest point or batch per group for `GET /tasks/<id>/<endpoint>`."""

from __future__ import annotations

from typing import Any

import numpy as np

from kapacitrio.engine import snapcodec as codec
from kapacitrio.engine.node import NodeRuntime, register
from kapacitrio.models.columns import ColumnChunk
from kapacitrio.models.point import Batch, DeleteGroup, Point
from kapacitrio.models.result import result, to_row


class _RowRef:
    """One row of a columnar chunk, built only when the endpoint is read."""

    __slots__ = ("chunk", "index")

    def __init__(self, chunk: ColumnChunk, index: int) -> None:
        self.chunk = chunk
        self.index = index

    def point(self) -> Point:
        return self.chunk.row(self.index)


@register("httpOut")
class HTTPOutRuntime(NodeRuntime):
    """Caches one row per group, in order of the groups' first appearance, and passes data on."""

    def __init__(self, spec: Any, ctx: Any) -> None:
        super().__init__(spec, ctx)
        self.endpoint = str(spec.args[0]) if spec.args else ""
        self.latest: dict[str, Point | Batch | _RowRef] = {}
        ctx.register_http_out(self.endpoint, self)

    def point_chunk(self, chunk: Any, parent: int) -> int:
        """A columnar chunk: remember each group's last row by position; built when read."""
        if type(chunk) is not ColumnChunk:
            return -1
        codes, table = chunk.group_codes()
        if len(chunk):
            # the last row of each group, groups in order of their first row
            rev = codes[::-1]
            uniq, first_rev = np.unique(rev, return_index=True)
            last = len(codes) - 1 - first_rev
            _, first = np.unique(codes, return_index=True)
            for i in np.argsort(first, kind="stable").tolist():
                self.latest[table[int(uniq[i])]] = _RowRef(chunk, int(last[i]))
        self.emit_chunk(chunk)
        return len(chunk)

    def point(self, p: Point, parent: int) -> None:
        self.latest[p.group] = p
        self.out.append(p)

    def batch(self, b: Batch, parent: int) -> None:
        self.latest[b.group] = b
        self.out.append(b)

    def delete_group(self, d: DeleteGroup, parent: int) -> None:
        # Kapacitor's httpOut only forgets the nil group's row: rows of named groups stay visible
        # after a barrier deletes their group, which is what `barrier().delete(TRUE)` users see.
        if d.group == "":
            self.latest.pop(d.group, None)
        self.out.append(d)

    def result(self) -> dict[str, Any]:
        """The Result JSON of the cached rows."""
        return result(
            [to_row(m.point() if type(m) is _RowRef else m) for m in self.latest.values()]
        )

    group_table = "latest"

    # -- state handover: the row each group shows, in the order the groups appeared
    def snapshot(self) -> Any:
        return [
            [gid, codec.message(m.point() if type(m) is _RowRef else m)]
            for gid, m in self.latest.items()
        ]

    def restore(self, data: Any) -> None:
        self.latest.update({str(gid): codec.message_of(m) for gid, m in data})

    def cardinality(self) -> int:
        return len(self.latest)
