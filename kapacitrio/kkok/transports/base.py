"""The transport base and registry: a transport delivers a list of alerts somewhere."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from kapacitrio.kkok.alert import Alert
from kapacitrio.kkok.clock import Clock
from kapacitrio.kkok.js import JSEngine
from kapacitrio.kkok.params import Params

TRANSPORT_TYPES: dict[str, type[Transport]] = {}


class TransportError(Exception):
    """A delivery failed (logged by the router; never stops other deliveries)."""


@dataclass
class TransportEnv:
    """What transports may use: clock, JavaScript engine, and other services."""

    js: JSEngine
    clock: Clock
    services: Any = None
    retry_delay: float = 1.0
    extra: dict[str, Any] = field(default_factory=dict)


def register_transport(name: str) -> Callable[[type[Transport]], type[Transport]]:
    def deco(cls: type[Transport]) -> type[Transport]:
        cls.type_name = name
        TRANSPORT_TYPES[name] = cls
        return cls

    return deco


class Transport:
    """Delivers alerts; subclasses read their options in `configure`."""

    type_name: ClassVar[str] = ""

    def __init__(self, params: Params, env: TransportEnv) -> None:
        self.env = env
        self.configure(params)
        params.finish()

    def configure(self, params: Params) -> None:
        """Read the type's options."""

    async def deliver(self, alerts: list[Alert]) -> None:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.type_name


def read_lines_file(path: str) -> list[str]:
    """Addresses one a line from `path` (re-read at each send); a missing file gives none."""
    if not path:
        return []
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise TransportError(f"cannot read {path}: {exc.strerror}") from None
    return [line.strip() for line in text.splitlines() if line.strip()]
