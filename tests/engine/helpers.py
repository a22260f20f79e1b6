"""Hand-built pipelines for engine tests (no TICKscript needed)."""

from __future__ import annotations

from typing import Any

from kapacitrio.pipeline.spec import BATCH, STREAM, NodeSpec, Pipeline

S = 1_000_000_000
T0 = 31_536_000 * S  # 1971-01-01T00:00:00Z


class Chain:
    """Builds a pipeline node by node: `Chain("stream").add("from", measurement="cpu")...`."""

    def __init__(self, root: str = "stream") -> None:
        self.nodes: list[NodeSpec] = []
        kind = STREAM if root == "stream" else BATCH
        self.type = kind
        self.root = self._new(root, None, wants="none", provides=kind)

    def _new(self, kind: str, parent: NodeSpec | list[NodeSpec] | None, **kw: Any) -> NodeSpec:
        desc = kw.pop("desc", kind.lower())
        wants = kw.pop("wants", STREAM)
        provides = kw.pop("provides", STREAM)
        args = kw.pop("args", [])
        spec = NodeSpec(kind, desc, len(self.nodes), wants, provides, list(args), dict(kw))
        parents = [] if parent is None else parent if isinstance(parent, list) else [parent]
        for p in parents:
            spec.parents.append(p)
            p.children.append(spec)
        self.nodes.append(spec)
        return spec

    def add(
        self, kind: str, parent: NodeSpec | list[NodeSpec] | None = None, **kw: Any
    ) -> NodeSpec:
        """Add a node under `parent` (default: the last node added)."""
        return self._new(kind, parent if parent is not None else self.nodes[-1], **kw)

    def pipeline(self, dbrps: list[tuple[str, str]] | None = None) -> Pipeline:
        return Pipeline(self.type, self.nodes, dbrps or [("db", "rp")])


def lines(*items: tuple[str, float]) -> bytes:
    """Line-protocol body from (line-without-time, seconds after T0) pairs."""
    return "\n".join(f"{text} {T0 + int(t * S)}" for text, t in items).encode()
