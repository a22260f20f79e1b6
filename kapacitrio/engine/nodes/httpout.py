"""`httpOut`: keeps the latest point or batch per group for `GET /tasks/<id>/<endpoint>`."""

from __future__ import annotations

from typing import Any

from kapacitrio.engine.node import NodeRuntime, register
from kapacitrio.models.point import Batch, DeleteGroup, Point
from kapacitrio.models.result import result, to_row


@register("httpOut")
class HTTPOutRuntime(NodeRuntime):
    """Caches one row per group, in order of the groups' first appearance, and passes data on."""

    def __init__(self, spec: Any, ctx: Any) -> None:
        super().__init__(spec, ctx)
        self.endpoint = str(spec.args[0]) if spec.args else ""
        self.latest: dict[str, Point | Batch] = {}
        ctx.register_http_out(self.endpoint, self)

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
        return result([to_row(m) for m in self.latest.values()])

    def cardinality(self) -> int:
        return len(self.latest)
