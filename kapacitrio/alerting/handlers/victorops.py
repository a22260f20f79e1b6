"""The `victorops` handler: VictorOps REST endpoint (one POST per event)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import http, register
from kapacitrio.alerting.handlers.base import (
    Handler,
    HandlerEnv,
    HandlerFailed,
    opt_str,
    section_field,
)
from kapacitrio.alerting.handlers.services_common import enabled_section, first
from kapacitrio.config import section

MESSAGE_TYPE = {
    levels.OK: "RECOVERY",
    levels.INFO: "INFO",
    levels.WARNING: "WARNING",
    levels.CRITICAL: "CRITICAL",
}


@section("victorops")
@dataclass
class VictorOpsConfig:
    """`[victorops]`: VictorOps' REST integration."""

    enabled: bool = False
    api_key: str = ""
    routing_key: str = ""
    url: str = "https://alert.victorops.com/integrations/generic/20131114/alert"
    global_: bool = False
    json_data: bool = False

    SECRETS = ("api_key",)


class VictorOpsHandler(Handler):
    def __init__(self, options: dict[str, Any], env: HandlerEnv) -> None:
        self.env = env
        self.routing_key = opt_str(options, "routing-key")

    async def handle(self, event: Event) -> None:
        sec = enabled_section(self.env, "victorops")
        api_key = section_field(sec, "api_key", "")
        routing = first(self.routing_key, section_field(sec, "routing_key", ""))
        if not api_key or not routing:
            raise HandlerFailed("victorops: api-key and routing-key are required")
        data: Any = event.data.result
        if not section_field(sec, "json_data", False):
            data = json.dumps(data, separators=(",", ":"))
        body = {
            "message_type": MESSAGE_TYPE[event.state.level],
            "entity_id": event.state.id,
            "state_message": event.state.message,
            "timestamp": event.state.time // 1_000_000_000,
            "monitoring_tool": "kapacitor",
            "data": data,
        }
        url = f"{section_field(sec, 'url', '').rstrip('/')}/{api_key}/{routing}"
        await http.post(self.env, url, json_body=body)


register(
    "victorops",
    VictorOpsHandler,
    lambda a, p: {"routing-key": p.get("routingKey", "")},
    "victorOps",
)
