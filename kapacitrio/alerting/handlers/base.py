"""What every handler kind shares: the handler base class, its environment and option helpers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from kapacitrio.alerting.event import Event


class EventSink(Protocol):
    """Where the publish and aggregate handlers put events back (the alert service).

    Declared here so handlers need not import the service, which imports the handler registry.
    """

    def handle_event(self, topic_id: str, event: Event) -> bool: ...


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

    service: EventSink | None = None
    config: Callable[[str], Any] | None = None
    log: Callable[..., None] = field(default=lambda *a, **k: None)
    server_url: str = "http://localhost:9092"
    http_client: Any = None
    #: Sends plain-HTTP requests in one write (`kapacitrio.plainhttp`); None leaves all to httpx.
    plain_http: Any = None

    def section(self, name: str) -> Any:
        """A config section's current value, or None when config is unavailable."""
        if self.config is None:
            return None
        try:
            return self.config(name)
        except KeyError:
            return None


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
