"""GraphViz DOT text of a pipeline: the static view and the executing view with statistics."""

from __future__ import annotations

from typing import Any

from kapacitrio.pipeline.build import walk
from kapacitrio.pipeline.spec import BATCH, NodeSpec, Pipeline
from kapacitrio.tick.values import go_duration


def _hidden(node: NodeSpec) -> bool:
    """The batch source node never appears in DOT output."""
    return node.kind == BATCH and not node.parents


def static_dot(task_id: str, pipeline: Pipeline) -> str:
    lines = [f"digraph {task_id} {{\n"]
    for node in walk(pipeline):
        if _hidden(node):
            continue
        for child in node.children:
            lines.append(f"{node.name} -> {child.name};\n")
    lines.append("}")
    return "".join(lines)


def _stat_text(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if key == "avg_exec_time_ns" and isinstance(value, int):
        return go_duration(value)
    return str(value)


def dot(
    task_id: str,
    pipeline: Pipeline,
    stats: dict[str, dict[str, Any]] | None = None,
    labels: bool = False,
    *,
    edges: dict[tuple[str, str], int] | None = None,
    throughput: float = 0.0,
) -> str:
    """Static DOT when `stats` is None; else the executing view.

    `stats` maps node name -> {stat: value}; `edges` maps (parent name, child name) -> messages
    sent on that edge; `throughput` is the source's points (batches) per second.
    """
    if stats is None:
        return static_dot(task_id, pipeline)
    edges = edges or {}
    unit = "batches" if pipeline.type == BATCH else "points"
    out = [f"digraph {task_id} {{\n"]
    if labels:
        out.append(
            f'graph [label="Throughput: {throughput:0.2f} {unit}/s" forcelabels=true pad="0.8,0.5"];\n'
        )
    else:
        out.append(f'graph [throughput="{throughput:0.2f} {unit}/s"];\n')
    for node in walk(pipeline):
        if _hidden(node):
            continue
        node_stats = sorted((stats.get(node.name) or {}).items())
        if labels:
            text = "\\r".join(f"{k}={_stat_text(k, v)}" for k, v in node_stats)
            out.append(f'\n{node.name} [xlabel="{text}"];\n')
        else:
            text = "".join(f'{k}="{_stat_text(k, v)}" ' for k, v in node_stats)
            out.append(f"\n{node.name} [{text}];\n")
        for child in node.children:
            count = edges.get((node.name, child.name), 0)
            if labels:
                out.append(f'{node.name} -> {child.name} [label="processed={count}"];\n')
            else:
                out.append(f'{node.name} -> {child.name} [processed="{count}"];\n')
    out.append("}")
    return "".join(out)
