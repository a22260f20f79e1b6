"""The `pagerduty2` handler: PagerDuty Events API v2 (trigger on alerts, resolve on recovery)."""

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
    HandlerOptionError,
    opt_str,
    section_field,
)
from kapacitrio.alerting.handlers.services_common import enabled_section, first
from kapacitrio.config import section
from kapacitrio.models.timefmt import format_rfc3339

SEVERITY = {
    levels.OK: "info",
    levels.INFO: "info",
    levels.WARNING: "warning",
    levels.CRITICAL: "critical",
}


@section("pagerduty2")
@dataclass
class PagerDuty2Config:
    """`[pagerduty2]`: PagerDuty's Events API v2."""

    enabled: bool = False
    routing_key: str = ""
    url: str = "https://events.pagerduty.com/v2/enqueue"
    global_: bool = False

    SECRETS = ("routing_key",)


def pagerduty2_payload(
    event: Event, routing_key: str, links: list[dict], client_url: str
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": "resolve" if event.state.level == levels.OK else "trigger",
        "dedup_key": event.state.id,
        "payload": {
            "summary": event.state.message,
            "source": event.data.tags.get("host") or "unknown",
            "severity": SEVERITY[event.state.level],
            "timestamp": format_rfc3339(event.state.time),
            "class": event.data.task_name,
            "custom_details": {"result": event.data.result},
        },
    }
    if links:
        body["links"] = links
    body["client"] = "kapacitor"
    body["client_url"] = client_url
    return body


class PagerDuty2Handler(Handler):
    def __init__(self, options: dict[str, Any], env: HandlerEnv) -> None:
        self.env = env
        self.routing_key = opt_str(options, "routing-key")
        links = options.get("links") or []
        if not isinstance(links, list) or not all(isinstance(x, dict) for x in links):
            raise HandlerOptionError("option 'links' must be a list of {href, text} objects")
        self.links = [
            {"href": str(x.get("href", "")), "text": str(x.get("text", ""))} for x in links
        ]

    async def handle(self, event: Event) -> None:
        sec = enabled_section(self.env, "pagerduty2")
        key = first(self.routing_key, section_field(sec, "routing_key", ""))
        if not key:
            raise HandlerFailed("pagerduty2: no routing key")
        body = pagerduty2_payload(event, key, self.links, self.env.server_url)
        await http.post(self.env, section_field(sec, "url", ""), json_body=body)


def _from_tick(args: list[Any], props: dict[str, Any]) -> dict[str, Any]:
    return {"routing-key": props.get("routingKey", ""), "links": list(props.get("links") or [])}


register("pagerduty2", PagerDuty2Handler, _from_tick, "pagerDuty2")
