"""The `servicenow` handler: an event record for ServiceNow Event Management (basic auth)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import http, register
from kapacitrio.alerting.handlers.base import (
    Handler,
    HandlerEnv,
    compile_template,
    opt_dict,
    opt_str,
    section_field,
)
from kapacitrio.alerting.handlers.services_common import (
    basic_auth,
    enabled_section,
    event_template_data,
    first,
    required_url,
    string_props,
)
from kapacitrio.config import section

SEVERITY = {levels.OK: "5", levels.INFO: "5", levels.WARNING: "4", levels.CRITICAL: "1"}
TEMPLATED = ("source", "node", "type", "resource", "metric-name", "message-key")


@section("servicenow")
@dataclass
class ServiceNowConfig:
    """`[servicenow]`: a ServiceNow instance's event API."""

    enabled: bool = False
    url: str = "https://instance.service-now.com/api/global/em/jsonv2"
    source: str = "Kapacitor"
    username: str = ""
    password: str = ""
    global_: bool = False
    state_changes_only: bool = False

    SECRETS = ("password",)


class ServiceNowHandler(Handler):
    def __init__(self, options: dict[str, Any], env: HandlerEnv) -> None:
        self.env = env
        self.templates = {k: compile_template(opt_str(options, k), k) for k in TEMPLATED}
        self.additional = opt_dict(options, "additional-info")

    async def handle(self, event: Event) -> None:
        sec = enabled_section(self.env, "servicenow")
        url = required_url(sec, "servicenow")
        data = event_template_data(event)
        r = {k: t.render(data) for k, t in self.templates.items()}
        record = {
            "source": first(r["source"], section_field(sec, "source", "Kapacitor")),
            "node": r["node"],
            "type": r["type"],
            "resource": r["resource"],
            "metric_name": r["metric-name"],
            "message_key": first(r["message-key"], event.state.id),
            "severity": SEVERITY[event.state.level],
            "description": event.state.message,
            "additional_info": self.additional,
        }
        await http.post(self.env, url, json_body={"records": [record]}, auth=basic_auth(sec))


def _from_tick(args: list[Any], props: dict[str, Any]) -> dict[str, Any]:
    names = {"source": "source", "node": "node", "type": "type", "resource": "resource"}
    opts = string_props(props, {**names, "metricName": "metric-name", "messageKey": "message-key"})
    opts["additional-info"] = dict(props.get("additionalInfo") or {})
    return opts


register("servicenow", ServiceNowHandler, _from_tick, "serviceNow")
