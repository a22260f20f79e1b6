"""The `victorops` handler: VictorOps' REST integration (`<url>/<api-key>/<routing-key>`)."""

from __future__ import annotations

from typing import Any

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import define
from kapacitrio.alerting.handlers.base import HandlerFailed
from kapacitrio.alerting.handlers.http import HTTPRequest
from kapacitrio.alerting.handlers.kind import Ctx, Kind, Tick, config_section
from kapacitrio.alerting.handlers.options import Opt, Table, Values
from kapacitrio.alerting.handlers.services_common import first, result_json

MESSAGE_TYPE = {
    levels.OK: "RECOVERY",
    levels.INFO: "INFO",
    levels.WARNING: "WARNING",
    levels.CRITICAL: "CRITICAL",
}

VictorOpsConfig = config_section(
    "victorops",
    "VictorOpsConfig",
    "`[victorops]`: VictorOps' REST integration.",
    {
        "enabled": False,
        "api_key": "",
        "routing_key": "",
        "url": "https://alert.victorops.com/integrations/generic/20131114/alert",
        "global_": False,
        "json_data": False,
    },
    secrets=("api_key",),
)

TABLE = Table("*victorops.HandlerConfig", (Opt("routing-key"),))


def request(o: Values, event: Event, ctx: Ctx) -> HTTPRequest:
    api_key = ctx.cfg("api_key", "")
    routing = first(o["routing-key"], ctx.cfg("routing_key", ""))
    if not api_key or not routing:
        raise HandlerFailed("victorops: api-key and routing-key are required")
    data: Any = event.data.result if ctx.cfg("json_data", False) else result_json(event)
    body = {
        "message_type": MESSAGE_TYPE[event.state.level],
        "entity_id": event.state.id,
        "state_message": event.state.message,
        "timestamp": event.state.time // 1_000_000_000,
        "monitoring_tool": "kapacitor",
        "data": data,
    }
    return HTTPRequest(f"{ctx.cfg('url', '').rstrip('/')}/{api_key}/{routing}", json=body)


define(
    Kind(
        "victorops",
        TABLE,
        request,
        Tick("victorOps", "VictorOpsHandler"),
        section="victorops",
    )
)
