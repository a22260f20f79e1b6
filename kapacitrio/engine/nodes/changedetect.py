"""changeDetect: pass a point on only when one of the watched fields changed in its group."""

from __future__ import annotations

from kapacitrio.engine.node import NodeRuntime, register
from kapacitrio.models.point import Batch, DeleteGroup, Point


def _same(a: object, b: object) -> bool:
    return type(a) is type(b) and a == b


@register("changeDetect")
class ChangeDetectNode(NodeRuntime):
    """Per group, remembers the last values of the listed fields."""

    def __init__(self, spec, ctx) -> None:
        super().__init__(spec, ctx)
        self.fields = [str(a) for a in spec.args]
        self.last: dict[str, tuple] = {}

    def cardinality(self) -> int:
        return len(self.last)

    def _changed(self, group: str, fields: dict) -> bool:
        """True when the point must pass; records its values as the group's last."""
        missing = [f for f in self.fields if f not in fields]
        if missing:
            self.error(f"changeDetect: field {missing[0]!r} missing from point")
            return False
        values = tuple(fields[f] for f in self.fields)
        prev = self.last.get(group)
        self.last[group] = values
        if prev is None:
            return True
        return not all(_same(a, b) for a, b in zip(prev, values, strict=True))

    def point(self, p: Point, parent: int) -> None:
        if self._changed(p.group, p.fields):
            self.emit(p)

    def batch(self, b: Batch, parent: int) -> None:
        points = [bp for bp in b.points if self._changed(b.group, bp.fields)]
        self.emit(b.copy_with(points=points))

    def delete_group(self, d: DeleteGroup, parent: int) -> None:
        self.last.pop(d.group, None)
        self.emit(d)
