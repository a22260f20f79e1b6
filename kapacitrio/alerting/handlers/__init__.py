"""The handler registry: every handler kind by name, built from topic-handler options or TICKscript.

The registry is the one place handlers are made, so other areas hook in here (see
docs/internals.md): `add_build_check(fn)` refuses kinds (e.g. `[alert] disable-handlers`),
`KINDS[name].section` names a kind's config section, `tick_methods()` feeds the pipeline.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kapacitrio.alerting.handlers.base import Handler, HandlerEnv, HandlerOptionError
from kapacitrio.alerting.handlers.kind import Kind, Tick
from kapacitrio.alerting.handlers.options import TickProp

Build = Callable[[dict[str, Any], HandlerEnv], Handler]
FromTick = Callable[[list[Any], dict[str, Any]], dict[str, Any]]
BuildCheck = Callable[[str, HandlerEnv], None]


@dataclass(frozen=True)
class HandlerKind:
    """A registered handler kind: API name, TICKscript method names, builders and declaration.

    `kind` is the table declaration (None for kinds registered with a bare build function);
    `section` the config section the kind reads (None when it has none).
    """

    name: str
    build: Build
    from_tick: FromTick
    tick_names: tuple[str, ...] = ()
    kind: Kind | None = None
    section: str | None = None


KINDS: dict[str, HandlerKind] = {}
_TICK: dict[str, str] = {}
_CHECKS: list[BuildCheck] = []


def register(
    name: str, build: Build, from_tick: FromTick, *tick_names: str, section: str | None = None
) -> None:
    """Add a handler kind with a bare build function (options it does not read are refused)."""
    KINDS[name] = HandlerKind(name, build, from_tick, tick_names, None, section)
    for t in (name, *tick_names):
        _TICK[t.lower()] = name


def define(kind: Kind) -> Kind:
    """Add a table-declared handler kind (called by each kind's module at import)."""
    tick_names = tuple(n for n in (kind.tick.method if kind.tick else "", *kind.aliases) if n)
    KINDS[kind.name] = HandlerKind(
        kind.name,
        lambda options, env: kind.build(options, env),
        kind.options_from_tick,
        tick_names,
        kind,
        kind.section,
    )
    for t in (kind.name, *tick_names):
        _TICK[t.lower()] = kind.name
    return kind


def add_build_check(fn: BuildCheck) -> Callable[[], None]:
    """Run `fn(kind, env)` before every handler is built; it refuses by raising HandlerOptionError.

    Returns a function that removes the check again.
    """
    _CHECKS.append(fn)
    return lambda: _CHECKS.remove(fn) if fn in _CHECKS else None


def kind_for_tick(method: str) -> str | None:
    """The handler kind a TICKscript property method names (`pagerDuty2` -> `pagerduty2`)."""
    return _TICK.get(method.lower())


def section_of(kind: str) -> str | None:
    """The config section a handler kind reads, or None."""
    k = KINDS.get(kind)
    return None if k is None else k.section


def _checked(kind: str, env: HandlerEnv) -> HandlerKind:
    k = KINDS.get(kind)
    if k is None:
        raise HandlerOptionError(f"unknown handler kind {kind!r}")
    for check in list(_CHECKS):
        check(kind, env)
    return k


def build(kind: str, options: dict[str, Any], env: HandlerEnv) -> Handler:
    """A handler of `kind` from API options; HandlerOptionError on bad kind or options."""
    k = _checked(kind, env)
    if k.kind is not None:
        return k.kind.build(options, env)
    if not isinstance(options, dict):
        raise HandlerOptionError("options must be an object")
    tracked = _Tracking(options)
    handler = k.build(tracked, env)
    unknown = sorted(set(options) - tracked.read)
    if unknown:
        names = ", ".join(f'"{u}"' for u in unknown)
        raise HandlerOptionError(
            f'invalid options for handler kind "{kind}": unknown option(s) {names}'
        )
    return handler


class _Tracking(dict):
    """Options that remember which keys a handler read, so unknown ones can be reported."""

    def __init__(self, options: dict[str, Any]) -> None:
        super().__init__(options)
        self.read: set[str] = set()

    def get(self, key: Any, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: Any) -> bool:
        self.read.add(key)
        return super().__contains__(key)


def build_from_tick(
    method: str, args: list[Any], props: dict[str, Any], env: HandlerEnv
) -> Handler:
    """A handler from an inline TICKscript handler call."""
    name = kind_for_tick(method)
    if name is None:
        raise HandlerOptionError(f"unknown alert handler {method!r}")
    k = _checked(name, env)
    options = k.from_tick(list(args), dict(props))
    if k.kind is not None:
        return k.kind.build(options, env, inline=True)
    return k.build(options, env)


def validate_tick(method: str, args: list[Any], props: dict[str, Any]) -> str | None:
    """Why an inline handler's options are invalid (checked when the task is defined), or None."""
    name = kind_for_tick(method)
    k = KINDS.get(name or "")
    if k is None or k.kind is None:
        return None
    try:
        k.kind.table.decode(k.from_tick(list(args), dict(props)), inline=True)
    except HandlerOptionError as exc:
        return str(exc)
    return None


@dataclass(frozen=True)
class TickMethod:
    """A handler's TICKscript property method as the pipeline declares it."""

    method: str
    go: str
    params: tuple[str, ...]
    props: tuple[TickProp, ...]
    arg_props: tuple[str, ...] = ()


def tick_methods() -> list[TickMethod]:
    """Every table kind's TICKscript method with its property methods (for the pipeline)."""
    load_all()
    out = []
    for k in KINDS.values():
        if k.kind is None or k.kind.tick is None:
            continue
        t: Tick = k.kind.tick
        props = k.kind.table.tick_props()
        prop_names = {p.key or p.name for p in props}
        arg_props = tuple(n for n in t.args if n in prop_names)
        out.append(TickMethod(t.method, t.go, t.params, props, arg_props))
    return out


MODULES = (
    "log",
    "post",
    "tcp",
    "exec",
    "publish",
    "aggregate",
    "smtp",
    "slack",
    "mqtt",
    "pagerduty2",
    "opsgenie2",
    "victorops",
    "teams",
    "discord",
    "telegram",
    "pushover",
    "alerta",
    "sensu",
    "servicenow",
    "bigpanda",
    "snmptrap",
    "pagerduty",
    "opsgenie",
    "talk",
    "hipchat",
    "zenoss",
    "kafka",
    "kkok",
)

_loaded = False


def load_all() -> None:
    """Import every handler module so it registers its kind (and its config section)."""
    global _loaded
    if _loaded:
        return
    for mod in MODULES:
        importlib.import_module(f"kapacitrio.alerting.handlers.{mod}")
    _loaded = True


__all__ = [
    "Handler",
    "HandlerEnv",
    "HandlerOptionError",
    "KINDS",
    "add_build_check",
    "build",
    "build_from_tick",
    "define",
    "register",
    "tick_methods",
    "validate_tick",
]
