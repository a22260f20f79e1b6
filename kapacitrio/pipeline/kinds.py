"""The record of one node kind, the registry of every kind, and a new node's default properties."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kapacitrio.pipeline import gotypes as g
from kapacitrio.pipeline.props import Prop, quiet
from kapacitrio.pipeline.spec import NodeSpec

SAME = "same"


@dataclass(frozen=True, slots=True)
class NodeKind:
    """What the builder needs to know about one kind of node."""

    kind: str
    go: str
    desc: str
    params: tuple[str, ...] = ()
    provides: str = SAME
    wants: str = SAME
    props: tuple[Prop, ...] = ()
    chain: bool = True
    extra_chain: tuple[str, ...] = ()
    validate: Callable[[NodeSpec], str | None] | None = None
    init: Callable[[NodeSpec], str | None] | None = None
    prop_index: dict[str, Prop] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        for p in (*self.props, quiet()):
            self.prop_index[p.name] = p

    @property
    def go_type(self) -> str:
        return "*pipeline." + self.go


KINDS: dict[str, NodeKind] = {}


def register(k: NodeKind) -> NodeKind:
    """Add a kind to the registry (and its Go type name to the Go type table)."""
    KINDS[k.kind] = k
    g.GO_NODE_TYPES.setdefault(k.kind, k.go)
    return k


def fresh_props(kind: NodeKind) -> dict[str, Any]:
    """Every property of a new node with its default."""
    props: dict[str, Any] = {}
    for p in kind.prop_index.values():
        props.setdefault(p.store, p.fresh_default())
    if kind.kind == "eval":
        props["keepList"] = None
    return props
