"""The `pagerduty` handler: PagerDuty's v1 generic events API (trigger / resolve)."""

from __future__ import annotations

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


@section("pagerduty")
@dataclass
class PagerDutyConfig:
    """`[pagerduty]`: PagerDuty's v1 events API."""

    enabled: bool = False
    service_key: str = ""
    url: str = "https://events.pagerduty.com/generic/2010-04-15/create_event.json"
    global_: bool = False

    SECRETS = ("service_key",)


class PagerDutyHandler(Handler):
    def __init__(self, options: dict[str, Any], env: HandlerEnv) -> None:
        self.env = env
        self.service_key = opt_str(options, "service-key")

    async def handle(self, event: Event) -> None:
        sec = enabled_section(self.env, "pagerduty")
        level = event.state.level
        if level == levels.INFO:
            raise HandlerFailed("pagerduty: INFO events are not sent (PagerDuty has no such level)")
        body = {
            "service_key": first(self.service_key, section_field(sec, "service_key", "")),
            "event_type": "resolve" if level == levels.OK else "trigger",
            "description": event.state.message,
            "incident_key": event.state.id,
            "client": "kapacitor",
            "client_url": self.env.server_url,
            "details": event.alert_json(),
        }
        await http.post(self.env, section_field(sec, "url", ""), json_body=body)


register(
    "pagerduty",
    PagerDutyHandler,
    lambda a, p: {"service-key": p.get("serviceKey", "")},
    "pagerDuty",
)
