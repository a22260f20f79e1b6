"""changeDetect: pass a point on only when one of the watched fields changed in its group."""

from __future__ import annotations

from typing import Any

from kapacitrio.engine.node import NodeRuntime, register
from kapacitrio.engine.snapcodec import fields_of, mapping, plain
from kapacitrio.models.point import Batch, DeleteGroup, Point


def _same(a: object, b: object) -> bool:
    return type(a) is type(b) and a == b


@register("changeDetect")
class ChangeDetectNode(NodeRuntime):
    """Per group, remembers the last values of the listed fields."""

    def __init__(self, spec, ctx) -> None:
        super().__init__(spec, ctx)
        self.fields = [str(a) for a in spec.args]
        self.last: dict[str, dict] = {}

    group_table = "last"

    def cardinality(self) -> int:
        return len(self.last)

    def snapshot(self) -> Any:
        """Each group's last values of the listed fields (all that is compared)."""
        return {
            gid: plain({f: v for f, v in last.items() if f in self.fields})
            for gid, last in self.last.items()
        }

    def restore(self, data: Any) -> None:
        self.last.update({gid: fields_of(values) for gid, values in mapping(data).items()})

    def _changed(self, group: str, fields: dict) -> bool:
        """True when a listed field differs from the group's last passed point (then it becomes
        the last); a missing field is an error and is not compared."""
        prev = self.last.get(group)
        changed = False
        for f in self.fields:
            if f not in fields:
                self.error(f"Invalid field in change detect: expected field {f} not found")
                continue
            if prev is None or f not in prev or not _same(prev[f], fields[f]):
                changed = True
                break
        if changed:
            self.last[group] = fields
        return changed

    def point(self, p: Point, parent: int) -> None:
        if self._changed(p.group, p.fields):
            self.emit(p)

    def batch(self, b: Batch, parent: int) -> None:
        points = [bp for bp in b.points if self._changed(b.group, bp.fields)]
        self.emit(b.copy_with(points=points))

    def delete_group(self, d: DeleteGroup, parent: int) -> None:
        self.last.pop(d.group, None)
        self.emit(d)
