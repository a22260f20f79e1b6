"""UDF nodes in a pipeline: what a UDF declares, and its `@name()` node with type-checked options."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kapacitrio.pipeline import gotypes as g
from kapacitrio.pipeline.nodes import NodeKind
from kapacitrio.pipeline.props import Prop

#: Go parameter type -> the name of the UDF protocol's ValueType (as Kapacitor prints it).
VALUE_TYPES = {
    g.BOOL: "BOOL",
    g.INT: "INT",
    g.FLOAT: "DOUBLE",
    g.STRING: "STRING",
    g.DURATION: "DURATION",
}


@dataclass(frozen=True, slots=True)
class UDFInfo:
    """What a configured UDF declares (from its info response).

    `wants`/`provides` are `stream`/`batch`; `options` maps each option name to the Go types of
    its arguments (`float64`, `int64`, `string`, `bool`, `time.Duration`). Each option call
    appends its argument list to `props[option]`.
    """

    wants: str
    provides: str
    options: dict[str, tuple[str, ...]]


def value_type(value: Any) -> str:
    """The ValueType name of a script value (`INT`, `DOUBLE`, ...); "" for any other type."""
    return VALUE_TYPES.get(g.go_type(value), "")


def udf_kind(name: str, info: UDFInfo) -> NodeKind:
    """The node kind of `@name()`: its options are the ones the agent declared."""
    return NodeKind(
        name,
        "UDFNode",
        name,
        provides=info.provides,
        wants=info.wants,
        props=tuple(
            Prop(opt, ("..." + g.ANY,), [], apply=_option(opt, types))
            for opt, types in info.options.items()
        ),
    )


def _option(name: str, types: tuple[str, ...]) -> Any:
    """An option setter checking its arguments as Kapacitor's UDF node does (no conversions)."""
    expected = [VALUE_TYPES.get(t, t) for t in types]

    def apply(props: dict[str, Any], args: list[Any]) -> str | None:
        if len(args) != len(expected):
            return f"unexpected number of args to {name}, got {len(args)} expected {len(expected)}"
        for arg, want in zip(args, expected, strict=True):
            got = value_type(arg)
            if got != want:
                return f"unexpected arg to {name}, got {got or 'BOOL'} expected {want}"
        props[name].append(list(args))
        return None

    return apply
