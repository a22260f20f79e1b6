"""A node that records what reaches it, by task, for tests comparing task outputs."""

from __future__ import annotations

from typing import Any

from kapacitrio.engine.node import NodeRuntime, register
from kapacitrio.models.point import Batch, Point
from kapacitrio.pipeline.spec import NodeSpec, Pipeline
from kapacitrio.tasks.compiling import compile_doc

SEEN: dict[str, list[Any]] = {}


@register("testRecord")
class _Record(NodeRuntime):
    """Records every point and batch it gets, by task, as plain values."""

    def point(self, p: Point, parent: int) -> None:
        SEEN.setdefault(self.ctx.task_id, []).append(("p", p.group, p.time, dict(p.fields)))

    def batch(self, b: Batch, parent: int) -> None:
        rows = [(bp.time, dict(bp.fields)) for bp in b.points]
        SEEN.setdefault(self.ctx.task_id, []).append(("b", b.group, b.tmax, rows))


def recorded(script: str, **opts: Any) -> Pipeline:
    """The script's pipeline with a recording node under its last node (`opts`: `compile_doc`'s)."""
    pipeline = compile_doc(script, "stream", {}, **opts)
    last = pipeline.nodes[-1]
    rec = NodeSpec("testRecord", "rec", len(pipeline.nodes), last.provides, last.provides, [], {})
    rec.parents.append(last)
    last.children.append(rec)
    pipeline.nodes.append(rec)
    return pipeline
