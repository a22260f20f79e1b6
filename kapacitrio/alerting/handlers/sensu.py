"""The `sensu` handler: a check result as JSON over TCP to a Sensu client socket."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import register
from kapacitrio.alerting.handlers.base import (
    Handler,
    HandlerEnv,
    HandlerFailed,
    opt_dict,
    opt_list,
    opt_str,
    section_field,
)
from kapacitrio.alerting.handlers.services_common import enabled_section, first
from kapacitrio.alerting.handlers.tcp import send_tcp
from kapacitrio.config import section

STATUS = {levels.OK: 0, levels.INFO: 0, levels.WARNING: 1, levels.CRITICAL: 2}
VALID_NAME = re.compile(r"^[\w.-]+$")


@section("sensu")
@dataclass
class SensuConfig:
    """`[sensu]`: a Sensu client socket."""

    enabled: bool = False
    addr: str = "sensu-client:3030"
    source: str = "Kapacitor"
    handlers: list[str] = field(default_factory=list)


class SensuHandler(Handler):
    def __init__(self, options: dict[str, Any], env: HandlerEnv) -> None:
        self.env = env
        self.source = opt_str(options, "source")
        self.handlers = opt_list(options, "handlers")
        self.metadata = opt_dict(options, "metadata")

    async def handle(self, event: Event) -> None:
        sec = enabled_section(self.env, "sensu")
        if not VALID_NAME.match(event.state.id):
            raise HandlerFailed(
                f"sensu: invalid name {event.state.id!r}: must match {VALID_NAME.pattern}"
            )
        body: dict[str, Any] = {
            "name": event.state.id,
            "source": first(self.source, section_field(sec, "source", "Kapacitor")),
            "output": event.state.message,
            "status": STATUS[event.state.level],
        }
        handlers = self.handlers or list(section_field(sec, "handlers", []) or [])
        if handlers:
            body["handlers"] = handlers
        for k, v in self.metadata.items():
            body.setdefault(k, v)
        payload = json.dumps(body, separators=(",", ":")).encode() + b"\n"
        await send_tcp(section_field(sec, "addr", ""), payload)


def _from_tick(args: list[Any], props: dict[str, Any]) -> dict[str, Any]:
    return {
        "source": props.get("source", ""),
        "handlers": list(props.get("handlers") or []),
        "metadata": dict(props.get("metadata") or {}),
    }


register("sensu", SensuHandler, _from_tick)
