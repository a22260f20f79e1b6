"""`where`: keeps points (and batch points) for which a lambda is true."""

from __future__ import annotations

from typing import Any

from kapacitrio.engine.node import NodeRuntime, register
from kapacitrio.engine.nodes._columnar import columnar_lambda, kept_rows, used_groups
from kapacitrio.engine.nodes.lambdas import PerGroup, compile_lambda
from kapacitrio.engine.snapcodec import mapping
from kapacitrio.models.columns import ColumnChunk
from kapacitrio.models.point import Batch, DeleteGroup, Point
from kapacitrio.tick.errors import EvalError


@register("where")
class WhereRuntime(NodeRuntime):
    """Filters with one stateful lambda instance per group; evaluation errors drop the point."""

    def __init__(self, spec: Any, ctx: Any) -> None:
        super().__init__(spec, ctx)
        self.expr = PerGroup(compile_lambda(spec.args[0]))
        self.columnar = None if self.expr.compiled.stateful else columnar_lambda(spec.args[0])

    def point_chunk(self, chunk: Any, parent: int) -> int:
        """A columnar chunk filtered by columns (rows the columns cannot settle: per point)."""
        if self.columnar is None or type(chunk) is not ColumnChunk:
            return -1
        kept = kept_rows(self.columnar, chunk, self._keep, self.error)
        if kept is None:
            return -1
        for group in used_groups(chunk):  # one instance per group, as point by point
            self.expr.get(group)
        self.emit_chunk(kept)
        return len(chunk)

    def _keep(self, p: Point) -> bool:
        return self.expr.get(p.group).eval_bool(p.time, p.fields, p.tags)

    def point(self, p: Point, parent: int) -> None:
        try:
            keep = self.expr.get(p.group).eval_bool(p.time, p.fields, p.tags)
        except EvalError as exc:
            self.error(str(exc))
            return
        if keep:
            self.out.append(p)

    def batch(self, b: Batch, parent: int) -> None:
        inst = self.expr.get(b.group)
        kept = []
        for bp in b.points:
            try:
                if inst.eval_bool(bp.time, bp.fields, bp.tags):
                    kept.append(bp)
            except EvalError as exc:
                self.error(str(exc))
        self.emit(b.copy_with(points=kept))

    def delete_group(self, d: DeleteGroup, parent: int) -> None:
        self.expr.drop(d.group)
        self.emit(d)

    def cardinality(self) -> int:
        return len(self.expr.instances)

    # -- state handover: only a stateful lambda (sigma(), count(), ...) has any
    def keeps_state(self) -> bool:
        return self.expr.compiled.stateful

    def snapshot(self) -> Any:
        return self.expr.dump()

    def restore(self, data: Any) -> None:
        self.expr.load(mapping(data))
