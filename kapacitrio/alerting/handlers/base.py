"""What every handler kind shares: the handler base class, its environment and option helpers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kapacitrio.alerting.event import Event
from kapacitrio.tick.gotemplate import Template, TemplateError

if TYPE_CHECKING:
    from kapacitrio.alerting.service import AlertService


class HandlerOptionError(ValueError):
    """A handler's options are invalid; the text is shown to the API client."""


class HandlerFailed(Exception):
    """A handler could not deliver one event (logged and counted, never retried)."""


class Handler:
    """One configured handler. `handle` runs in the alert service's nursery, one event at a time."""

    #: External handlers are skipped for events marked `noExternal`.
    external = True

    async def handle(self, event: Event) -> None:
        raise NotImplementedError

    async def run(self) -> None:
        """Optional background work (e.g. aggregate's timer), run while the handler is attached."""

    def close(self) -> None:
        """The handler is detached."""


@dataclass
class HandlerEnv:
    """What handlers may use: the service (publish, aggregate), config sections, HTTP and logging."""

    service: AlertService | None = None
    config: Callable[[str], Any] | None = None
    log: Callable[..., None] = field(default=lambda *a, **k: None)
    server_url: str = "http://localhost:9092"
    http_client: Any = None

    def section(self, name: str) -> Any:
        """A config section's current value, or None when config is unavailable."""
        if self.config is None:
            return None
        try:
            return self.config(name)
        except KeyError:
            return None


def tick_arg(args: list[Any], props: dict[str, Any], prop: str) -> Any:
    """A handler's first TICKscript argument, unless a later property call replaced it.

    `.tcp('a').address('b')` sends to `b`: the pipeline keeps the argument in `props[prop]`
    and a property call of that name overwrites it, so the property is read first.
    """
    if prop in props and props[prop] is not None:
        return props[prop]
    return args[0] if args else ""


def opt_str(options: dict[str, Any], key: str, default: str = "") -> str:
    value = options.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise HandlerOptionError(f"option {key!r} must be a string")
    return value


def opt_bool(options: dict[str, Any], key: str, default: bool = False) -> bool:
    value = options.get(key, default)
    if not isinstance(value, bool):
        raise HandlerOptionError(f"option {key!r} must be a boolean")
    return value


def opt_list(options: dict[str, Any], key: str) -> list[str]:
    value = options.get(key) or []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise HandlerOptionError(f"option {key!r} must be a list of strings")
    return list(value)


def opt_dict(options: dict[str, Any], key: str) -> dict[str, Any]:
    value = options.get(key) or {}
    if isinstance(value, list):  # [(k, v), ...] from repeated TICKscript calls
        if not all(isinstance(p, list | tuple) and len(p) == 2 for p in value):
            raise HandlerOptionError(f"option {key!r} must be an object")
        value = dict(value)
    if not isinstance(value, dict):
        raise HandlerOptionError(f"option {key!r} must be an object")
    return dict(value)


def opt_int(options: dict[str, Any], key: str, default: int = 0) -> int:
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise HandlerOptionError(f"option {key!r} must be a number")
    return int(value)


def opt_duration(options: dict[str, Any], key: str, default: int = 0) -> int:
    """A duration option given as ns (int) or Go text (`10s`); never negative."""
    from kapacitrio.config import duration_ns

    value = options.get(key, default)
    if value is None:
        return default
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise HandlerOptionError(f"option {key!r} must be a duration")
    try:
        ns = duration_ns(value)
    except ValueError:
        raise HandlerOptionError(f"option {key!r} must be a duration") from None
    if ns < 0:
        raise HandlerOptionError(f"option {key!r} must not be negative")
    return ns


def compile_template(text: str, name: str) -> Template:
    """A handler option's Go template; HandlerOptionError when it does not parse."""
    try:
        return Template(text, name=name)
    except TemplateError as exc:
        raise HandlerOptionError(str(exc)) from None


def section_field(section: Any, name: str, default: Any = None) -> Any:
    """A field of a config section object (or dict), tolerating either form."""
    if section is None:
        return default
    if isinstance(section, dict):
        return section.get(name, section.get(name.replace("_", "-"), default))
    return getattr(section, name, default)


def pick_section(sections: Any, key_field: str, name: str) -> Any:
    """From a list section pick the element named `name`, else the default one, else the first."""
    if sections is None:
        return None
    if not isinstance(sections, list):
        return sections
    if name:
        for s in sections:
            if section_field(s, key_field, "") == name:
                return s
        return None
    for s in sections:
        if section_field(s, "default", False):
            return s
    return sections[0] if sections else None
