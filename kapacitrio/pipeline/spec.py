"""The typed pipeline a TICKscript evaluates to: node specs joined by edges, with no runtime code.

The engine reads these and nothing else of the language. Property values are plain Python:
durations are int nanoseconds, lambdas are `tick.ast.LambdaNode` (vars already substituted),
regexes are compiled `re.Pattern`, `*` is `STAR`, variadic properties are lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kapacitrio.tick.ast import Position


class _Star:
    """The `*` value (`groupBy(*)`)."""

    _instance: _Star | None = None

    def __new__(cls) -> _Star:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "*"


STAR = _Star()

STREAM = "stream"
BATCH = "batch"
NONE = "none"


@dataclass(slots=True)
class TimeDimension:
    """`time(d[, offset])` inside a query's groupBy."""

    every: int
    offset: int = 0


@dataclass(slots=True, eq=False)
class HandlerSpec:
    """An alert handler configured inline in TICKscript: `.post('url').header('k', 'v')`.

    `kind` is the property method's name (`post`, `tcp`, `log`, `email`, `slack`, ...), `args` its
    arguments, `props` the handler's own properties set by the calls that follow it.
    """

    kind: str
    args: list[Any] = field(default_factory=list)
    props: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True, eq=False)
class NodeSpec:
    """One node of a pipeline.

    `kind` is the TICKscript method that made it (`stream`, `from`, `window`, `groupBy`, `mean`,
    `httpOut`, `alert`, ...); `desc` the stem of its name (`groupby`, `http_out`); `args` the
    chaining method's evaluated arguments (for `join`/`union` the other parents are in `parents`,
    not in args); `props` every property of the node with its default filled in, keyed by the
    property method's name with a lower-case first letter (`period`, `fillPeriod`, `as`).
    """

    kind: str
    desc: str
    id: int
    wants: str
    provides: str
    args: list[Any] = field(default_factory=list)
    props: dict[str, Any] = field(default_factory=dict)
    parents: list[NodeSpec] = field(default_factory=list)
    children: list[NodeSpec] = field(default_factory=list)
    pos: Position = field(default_factory=Position)

    @property
    def name(self) -> str:
        """Kapacitor's node name: `<desc><id>`, e.g. `window2`."""
        return f"{self.desc}{self.id}"

    def __repr__(self) -> str:
        return f"NodeSpec({self.name})"


@dataclass(slots=True)
class Var:
    """A var of a script: its API type name, value (None for an unset template parameter) and description."""

    type: str
    value: Any
    description: str = ""


@dataclass(slots=True, eq=False)
class Pipeline:
    """A whole evaluated script.

    `nodes` are in creation order (ids 0..n-1); `sources` are the nodes without parents (the
    `stream`/`batch` root first, then any `stats` nodes).
    """

    type: str
    nodes: list[NodeSpec]
    dbrps: list[tuple[str, str]] = field(default_factory=list)
    vars: dict[str, Var] = field(default_factory=dict)

    @property
    def sources(self) -> list[NodeSpec]:
        return [n for n in self.nodes if not n.parents]

    def find(self, kind: str) -> list[NodeSpec]:
        """All nodes of one kind, in creation order."""
        return [n for n in self.nodes if n.kind == kind]
