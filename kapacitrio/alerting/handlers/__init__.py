"""The handler registry: every handler kind by name, built from topic-handler options or TICKscript."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kapacitrio.alerting.handlers.base import Handler, HandlerEnv, HandlerOptionError

Build = Callable[[dict[str, Any], HandlerEnv], Handler]
FromTick = Callable[[list[Any], dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class HandlerKind:
    """A handler kind: its API name, TICKscript method names and how to build one."""

    name: str
    build: Build
    from_tick: FromTick
    tick_names: tuple[str, ...] = ()


KINDS: dict[str, HandlerKind] = {}
_TICK: dict[str, str] = {}


def register(name: str, build: Build, from_tick: FromTick, *tick_names: str) -> None:
    """Add a handler kind (called by each kind's module at import)."""
    KINDS[name] = HandlerKind(name, build, from_tick, tick_names)
    for t in (name, *tick_names):
        _TICK[t.lower()] = name


def kind_for_tick(method: str) -> str | None:
    """The handler kind a TICKscript property method names (`pagerDuty2` -> `pagerduty2`)."""
    return _TICK.get(method.lower())


def build(kind: str, options: dict[str, Any], env: HandlerEnv) -> Handler:
    """A handler of `kind` from API options; HandlerOptionError on bad kind or options."""
    k = KINDS.get(kind)
    if k is None:
        raise HandlerOptionError(f"unknown handler kind {kind!r}")
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
    k = KINDS[name]
    return k.build(k.from_tick(list(args), dict(props)), env)


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


def load_all() -> None:
    """Import every handler module so it registers its kind (and its config section)."""
    for mod in MODULES:
        importlib.import_module(f"kapacitrio.alerting.handlers.{mod}")


__all__ = ["Handler", "HandlerEnv", "HandlerOptionError", "KINDS", "build", "build_from_tick"]
