"""The `sensu` handler: a check result written to a Sensu client's TCP socket."""

from __future__ import annotations

import re
from typing import Any

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import define
from kapacitrio.alerting.handlers.base import HandlerFailed
from kapacitrio.alerting.handlers.kind import Ctx, Kind, Tick, config_section
from kapacitrio.alerting.handlers.options import MAP, STRINGS, Opt, Table, Values
from kapacitrio.alerting.handlers.services_common import first
from kapacitrio.alerting.handlers.tcp import TCPRequest
from kapacitrio.models import gonumbers

STATUS = {levels.OK: 0, levels.INFO: 0, levels.WARNING: 1, levels.CRITICAL: 2}
VALID_NAME = re.compile(r"^[\w.-]+$")

SensuConfig = config_section(
    "sensu",
    "SensuConfig",
    "`[sensu]`: a Sensu client socket.",
    {"enabled": False, "addr": "sensu-client:3030", "source": "Kapacitor", "handlers": []},
)

TABLE = Table(
    "*sensu.HandlerConfig",
    (Opt("source"), Opt("handlers", STRINGS), Opt("metadata", MAP)),
)


def request(o: Values, event: Event, ctx: Ctx) -> TCPRequest:
    if not VALID_NAME.match(event.state.id):
        raise HandlerFailed(
            f"sensu: invalid name {event.state.id!r}: must match {VALID_NAME.pattern}"
        )
    body: dict[str, Any] = {
        "name": event.state.id,
        "source": first(o["source"], ctx.cfg("source", "Kapacitor")),
        "output": event.state.message,
        "status": STATUS[event.state.level],
    }
    handlers = o["handlers"] or list(ctx.cfg("handlers", []) or [])
    if handlers:
        body["handlers"] = handlers
    for k, v in o["metadata"].items():
        body.setdefault(k, v)
    payload = gonumbers.dumps(body, separators=(",", ":")).encode() + b"\n"
    return TCPRequest(ctx.cfg("addr", ""), payload)


define(Kind("sensu", TABLE, request, Tick("sensu", "SensuHandler"), section="sensu"))
