"""Property descriptors of node kinds: plain fields, flags, variadic lists and custom setters."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kapacitrio.pipeline import gotypes as g
from kapacitrio.tick.values import Duration

Apply = Callable[[dict[str, Any], list[Any]], "str | None"]


@dataclass(frozen=True, slots=True)
class Prop:
    """One property of a node kind.

    `field=True` is a plain field set (exactly one argument of Go type `params[0]`); otherwise the
    property is a method with Go signature `params` whose `apply` stores the arguments into props
    (default: the single argument, or True for a method without parameters).
    """

    name: str
    params: tuple[str, ...]
    default: Any = None
    field: bool = False
    apply: Apply | None = None
    key: str | None = None

    @property
    def store(self) -> str:
        """The props key the property writes (usually its own name)."""
        return self.key or self.name

    def fresh_default(self) -> Any:
        return copy.copy(self.default)


def fld(name: str, gotype: str, default: Any = None) -> Prop:
    """A plain field: `.name(value)`."""
    if default is None:
        default = {
            g.STRING: "",
            g.INT: 0,
            g.FLOAT: 0.0,
            g.DURATION: Duration(0),
            g.BOOL: False,
        }.get(gotype)
    return Prop(name, (gotype,), default, field=True)


def flag(name: str) -> Prop:
    """A property method without arguments that sets a flag."""
    return Prop(name, (), False)


def method(
    name: str, params: tuple[str, ...], default: Any, apply: Apply, key: str | None = None
) -> Prop:
    return Prop(name, params, default, apply=apply, key=key)


def setlist(name: str, elem: str = g.STRING) -> Prop:
    """A variadic property whose call replaces the list."""

    def apply(props: dict[str, Any], args: list[Any]) -> None:
        props[name] = list(args)

    return Prop(name, ("..." + elem,), [], apply=apply)


def addlist(name: str, elem: str = g.STRING) -> Prop:
    """A variadic property whose calls append to the list."""

    def apply(props: dict[str, Any], args: list[Any]) -> None:
        props[name].extend(args)

    return Prop(name, ("..." + elem,), [], apply=apply)


def keyvalue(name: str, vtype: str = g.STRING, key: str | None = None) -> Prop:
    """`.name(k, v)` repeatable; props[key] is a dict in call order."""
    store = key or name

    def apply(props: dict[str, Any], args: list[Any]) -> None:
        props[store][args[0]] = args[1]

    return Prop(name, (g.STRING, vtype), {}, apply=apply, key=store)


def quiet() -> Prop:
    return flag("quiet")
