"""Lay out a task's DAG from its DOT: Graphviz's `dot` when installed, else a layered layout of ours.

Only the node names and edges of the DOT are read (attributes are ignored), and what goes to
Graphviz is a fresh graph built from those names, so the user's text never reaches `dot` itself.
A layout is plain JSON in pixels with the origin at the top left, ready for an SVG; each edge's
points are a cubic Bezier path (start, then three per segment), as Graphviz gives them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Any

import trio

#: Every node is drawn as a box of this size (pixels); the counters fit in it.
NODE_WIDTH = 168
NODE_HEIGHT = 84
GAP_X = 36
GAP_Y = 56
MARGIN = 16
MAX_NODES = 500
MAX_DOT_BYTES = 256 * 1024
#: Seconds `dot` may take before the layered layout is used instead.
GRAPHVIZ_TIMEOUT = 5.0

_NAME = r'(?:[A-Za-z_][A-Za-z0-9_]*|"(?:[^"\\]|\\.)*")'
_EDGE = re.compile(rf"^\s*({_NAME})\s*->\s*({_NAME})")
_NODE = re.compile(rf"^\s*({_NAME})\s*(?:\[|;|$)")
_KEYWORDS = {"graph", "node", "edge", "digraph", "subgraph", "strict"}


class LayoutError(ValueError):
    """The DOT text is not a task DAG this module can lay out."""


@dataclass
class Graph:
    """Node names in order of first appearance, and edges between them."""

    nodes: list[str] = field(default_factory=list)
    edges: list[tuple[str, str]] = field(default_factory=list)

    def add_node(self, name: str) -> None:
        if name not in self._seen:
            self._seen.add(name)
            self.nodes.append(name)

    def __post_init__(self) -> None:
        self._seen: set[str] = set(self.nodes)


def _unquote(name: str) -> str:
    if name.startswith('"'):
        return re.sub(r"\\(.)", r"\1", name[1:-1])
    return name


def parse_dot(text: str) -> Graph:
    """The nodes and edges of a `digraph NAME { ... }` as the tasks API renders it."""
    if len(text.encode("utf-8", "replace")) > MAX_DOT_BYTES:
        raise LayoutError(f"DOT text is larger than {MAX_DOT_BYTES} bytes")
    lines = text.strip().splitlines()
    if not lines or not re.match(r"^\s*(strict\s+)?digraph\b[^{]*\{\s*$", lines[0]):
        raise LayoutError("DOT text must start with 'digraph NAME {'")
    graph = Graph()
    for line in lines[1:]:
        if line.strip() in ("", "}"):
            continue
        if m := _EDGE.match(line):
            tail, head = _unquote(m.group(1)), _unquote(m.group(2))
            graph.add_node(tail)
            graph.add_node(head)
            graph.edges.append((tail, head))
        elif (m := _NODE.match(line)) and m.group(1) not in _KEYWORDS:
            graph.add_node(_unquote(m.group(1)))
        if len(graph.nodes) > MAX_NODES:
            raise LayoutError(f"a DAG of more than {MAX_NODES} nodes cannot be drawn")
    return graph


# -- the layered layout ------------------------------------------------------------------------


def _layers(graph: Graph) -> dict[str, int]:
    """Longest-path layering from the sources (cycles, which tasks never have, are cut)."""
    parents: dict[str, list[str]] = {n: [] for n in graph.nodes}
    for tail, head in graph.edges:
        parents[head].append(tail)
    layer: dict[str, int] = {}
    visiting: set[str] = set()

    def depth(node: str) -> int:
        if node in layer:
            return layer[node]
        if node in visiting:
            return 0
        visiting.add(node)
        layer[node] = max((depth(p) + 1 for p in parents[node]), default=0)
        visiting.discard(node)
        return layer[node]

    for node in graph.nodes:
        depth(node)
    return layer


def _order(graph: Graph, layer: dict[str, int]) -> list[list[str]]:
    """Nodes per layer, ordered by the mean position of their parents (one downward sweep)."""
    rows: list[list[str]] = [[] for _ in range(max(layer.values(), default=-1) + 1)]
    for node in graph.nodes:
        rows[layer[node]].append(node)
    parents: dict[str, list[str]] = {n: [] for n in graph.nodes}
    for tail, head in graph.edges:
        parents[head].append(tail)
    for i in range(1, len(rows)):
        above = {n: k for k, n in enumerate(rows[i - 1])}
        keyed = []
        for k, node in enumerate(rows[i]):
            ps = [above[p] for p in parents[node] if p in above]
            keyed.append((sum(ps) / len(ps) if ps else k, k, node))
        rows[i] = [node for _, _, node in sorted(keyed)]
    return rows


def layered_layout(graph: Graph) -> dict[str, Any]:
    """Boxes in rows by depth, each row centred; edges are one cubic Bezier from box to box."""
    rows = _order(graph, _layers(graph))
    widest = max((len(r) for r in rows), default=0)
    width = 2 * MARGIN + widest * NODE_WIDTH + max(widest - 1, 0) * GAP_X
    height = 2 * MARGIN + len(rows) * NODE_HEIGHT + max(len(rows) - 1, 0) * GAP_Y
    boxes: dict[str, dict[str, Any]] = {}
    for i, row in enumerate(rows):
        row_width = len(row) * NODE_WIDTH + (len(row) - 1) * GAP_X
        x0 = (width - row_width) / 2
        for k, node in enumerate(row):
            boxes[node] = {
                "id": node,
                "x": x0 + k * (NODE_WIDTH + GAP_X),
                "y": MARGIN + i * (NODE_HEIGHT + GAP_Y),
                "width": NODE_WIDTH,
                "height": NODE_HEIGHT,
            }
    edges = []
    for tail, head in graph.edges:
        a, b = boxes[tail], boxes[head]
        start = [a["x"] + NODE_WIDTH / 2, a["y"] + NODE_HEIGHT]
        end = [b["x"] + NODE_WIDTH / 2, b["y"]]
        bend = GAP_Y / 2
        points = [start, [start[0], start[1] + bend], [end[0], end[1] - bend], end]
        edges.append({"from": tail, "to": head, "points": points})
    nodes = [boxes[n] for n in graph.nodes]
    return {"engine": "layered", "width": width, "height": height, "nodes": nodes, "edges": edges}


# -- Graphviz ----------------------------------------------------------------------------------


def _graphviz_input(graph: Graph) -> str:
    ids = {name: f"n{i}" for i, name in enumerate(graph.nodes)}
    inch_w, inch_h = NODE_WIDTH / 72, NODE_HEIGHT / 72
    lines = [
        "digraph g {",
        f'graph [rankdir=TB nodesep={GAP_X / 72:.3f} ranksep={GAP_Y / 72:.3f} pad="0.2"];',
        f'node [shape=box fixedsize=true width={inch_w:.3f} height={inch_h:.3f} label=""];',
    ]
    lines += [f"{ids[n]};" for n in graph.nodes]
    lines += [f"{ids[t]} -> {ids[h]};" for t, h in graph.edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def parse_plain(text: str, graph: Graph) -> dict[str, Any]:
    """Graphviz's `-Tplain` output (inches, y up) as a layout (pixels, y down)."""
    names = {f"n{i}": name for i, name in enumerate(graph.nodes)}
    width = height = 0.0
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "graph":
            width, height = float(parts[2]) * 72, float(parts[3]) * 72
        elif parts[0] == "node":
            cx, cy = float(parts[2]) * 72, height - float(parts[3]) * 72
            w, h = float(parts[4]) * 72, float(parts[5]) * 72
            nodes.append(
                {"id": names[parts[1]], "x": cx - w / 2, "y": cy - h / 2, "width": w, "height": h}
            )
        elif parts[0] == "edge":
            count = int(parts[3])
            coords = [float(v) * 72 for v in parts[4 : 4 + 2 * count]]
            points = [[coords[i], height - coords[i + 1]] for i in range(0, len(coords), 2)]
            edges.append({"from": names[parts[1]], "to": names[parts[2]], "points": points})
    if len(nodes) != len(graph.nodes):
        raise LayoutError("graphviz left out nodes")
    return _rounded(
        {"engine": "graphviz", "width": width, "height": height, "nodes": nodes, "edges": edges}
    )


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 1)
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


async def graphviz_layout(graph: Graph, dot_path: str) -> dict[str, Any]:
    """Run `dot -Tplain` on the graph; raises `OSError`, `CalledProcessError` or `LayoutError`."""
    with trio.fail_after(GRAPHVIZ_TIMEOUT):
        proc = await trio.run_process(
            [dot_path, "-Tplain"],
            stdin=_graphviz_input(graph).encode(),
            capture_stdout=True,
            capture_stderr=True,
        )
    return parse_plain(proc.stdout.decode("utf-8", "replace"), graph)


_GRAPHVIZ_FAILURES = (
    OSError,
    subprocess.CalledProcessError,
    trio.TooSlowError,
    LayoutError,
    ValueError,
    IndexError,
    KeyError,
)


async def layout(text: str, engine: str = "auto") -> dict[str, Any]:
    """Lay out a DOT text; `engine` is `auto` (Graphviz when installed), `graphviz` or `layered`."""
    graph = parse_dot(text)
    dot_path = shutil.which("dot") if engine in ("auto", "graphviz") else None
    if dot_path and graph.nodes:
        try:
            return await graphviz_layout(graph, dot_path)
        except _GRAPHVIZ_FAILURES as exc:
            if engine == "graphviz":
                raise LayoutError(f"graphviz could not lay out the DAG: {exc}") from None
    elif engine == "graphviz":
        raise LayoutError("graphviz's dot is not installed")
    return layered_layout(graph)
