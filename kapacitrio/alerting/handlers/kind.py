"""A table-driven handler kind: its option table, its config section and its one request builder."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers.base import Handler, HandlerEnv, HandlerFailed, pick_section
from kapacitrio.alerting.handlers.base import section_field as field_of
from kapacitrio.alerting.handlers.options import Table, Values


class Request(Protocol):
    """What a request builder returns: one delivery, sent by its own transport."""

    async def send(self, env: HandlerEnv) -> Any: ...


@dataclass(frozen=True)
class Tick:
    """The TICKscript method of a kind: `.method(args...)`, its Go type and which options args fill.

    `args` names the option each positional argument sets; a name starting with `*` takes the rest.
    """

    method: str
    go: str
    params: tuple[str, ...] = ()
    args: tuple[str, ...] = ()


@dataclass
class Ctx:
    """What a request builder may read besides the options and the event."""

    env: HandlerEnv
    section: Any = None

    def cfg(self, key: str, default: Any = None) -> Any:
        """A key of the kind's config section (`None` section gives `default`)."""
        return field_of(self.section, key, default)


Builder = Callable[[Values, Event, Ctx], "Request | None"]
Check = Callable[[Values, HandlerEnv], None]
FixTick = Callable[[dict[str, Any], list[Any], dict[str, Any]], None]


@dataclass(frozen=True)
class Kind:
    """A handler kind declared as data.

    `section` is its config section (None: the kind needs none); when the section is a list,
    `select` names the option that picks the element by its `section_key` (e.g. slack's
    `workspace`). `check` runs once at define time for rules across options, `fix_tick` adjusts
    options read from TICKscript where Kapacitor's TICKscript spelling differs, and `handler` is
    the handler class (TableHandler unless the kind keeps state such as a connection).
    """

    name: str
    table: Table
    request: Builder
    tick: Tick | None = None
    section: str | None = None
    section_key: str = ""
    select: str = ""
    external: bool = True
    check: Check | None = None
    fix_tick: FixTick | None = None
    handler: type[TableHandler] | None = None
    aliases: tuple[str, ...] = ()
    unknown: str = "workspace id not found"

    def build(self, options: Any, env: HandlerEnv, *, inline: bool = False) -> Handler:
        values = self.table.decode(options, inline=inline)
        if self.check is not None:
            self.check(values, env)
        cls = self.handler or TableHandler
        return cls(self, values, env)

    def options_from_tick(self, args: list[Any], props: dict[str, Any]) -> dict[str, Any]:
        opts = self.table.from_tick(props)
        names = self.tick.args if self.tick is not None else ()
        for i, name in enumerate(names):
            if name.startswith("*"):
                opts[name[1:]] = list(args[i:])
                break
            # a property call of the same name (`.tcp('a').address('b')`) wins over the argument
            if i < len(args) and not opts.get(name):
                opts[name] = args[i]
        if self.fix_tick is not None:
            self.fix_tick(opts, list(args), props)
        return opts

    def section_for(self, env: HandlerEnv, values: Values) -> Any:
        """The enabled config section (element) this handler uses; HandlerFailed otherwise."""
        if self.section is None:
            return None
        sec = env.section(self.section)
        which = str(values.get(self.select) or "") if self.select else ""
        if isinstance(sec, list):
            if not sec:  # Kapacitor's default config has one disabled element
                raise HandlerFailed("service is not enabled")
            sec = pick_section(sec, self.section_key, which)
            if sec is None:
                raise HandlerFailed(self.unknown.format(which=which))
        if sec is None:
            raise HandlerFailed("service is not enabled")
        if not field_of(sec, "enabled", False):
            raise HandlerFailed("service is not enabled")
        return sec


class TableHandler(Handler):
    """A handler of a table kind: build the kind's request for each event and send it."""

    def __init__(self, kind: Kind, values: Values, env: HandlerEnv) -> None:
        self.kind = kind
        self.values = values
        self.env = env
        self.external = kind.external

    def context(self) -> Ctx:
        return Ctx(self.env, self.kind.section_for(self.env, self.values))

    async def handle(self, event: Event) -> None:
        request = self.kind.request(self.values, event, self.context())
        if request is not None:
            await request.send(self.env)


@dataclass
class Call:
    """A request that is a coroutine function of the environment (for in-process deliveries)."""

    fn: Callable[[HandlerEnv], Awaitable[Any]]

    async def send(self, env: HandlerEnv) -> Any:
        return await self.fn(env)


#: Keys most handler services share.
SERVICE_KEYS: dict[str, Any] = {"enabled": False, "global_": False, "state_changes_only": False}
TLS_KEYS: dict[str, Any] = {
    "ssl_ca": "",
    "ssl_cert": "",
    "ssl_key": "",
    "insecure_skip_verify": False,
}


def config_section(
    name: str,
    cls_name: str,
    doc: str,
    keys: dict[str, Any],
    *,
    many: bool = False,
    secrets: tuple[str, ...] = (),
    element_key: str | None = None,
    validate: Callable[[Any], None] | None = None,
) -> type:
    """Declare a kind's config section from its keys and defaults (field types from the defaults).

    A default may be `(type, default)` when its type cannot be read off the value (e.g. a dict of
    strings); `global_` is the `global` key. The class is registered with `config.section`.
    """
    import dataclasses

    from kapacitrio.config import section

    fields = []
    for key, default in keys.items():
        typ, value = default if isinstance(default, tuple) else (type(default), default)
        if isinstance(value, list | dict):
            spec = dataclasses.field(default_factory=lambda v=value: type(v)(v))
        else:
            spec = dataclasses.field(default=value)
        fields.append((key, typ, spec))
    namespace: dict[str, Any] = {"SECRETS": secrets, "__doc__": doc}
    if element_key is not None:
        namespace["ELEMENT_KEY"] = element_key
    if validate is not None:
        namespace["validate"] = validate
    cls = dataclasses.make_dataclass(cls_name, fields, namespace=namespace)
    cls.__module__ = _caller_module()
    return section(name, many=many)(cls)


def _caller_module() -> str:
    import sys

    return sys._getframe(2).f_globals.get("__name__", __name__)
