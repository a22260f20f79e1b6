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
    HandlerFailed,
    HandlerOptionError,
    opt_dict,
    opt_str,
    section_field,
)
from kapacitrio.alerting.handlers.services_common import enabled_section, first
from kapacitrio.config import section
from kapacitrio.tick.gotemplate import GoMap, Template, TemplateError

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
        try:
            self.templates = {k: Template(opt_str(options, k), name=k) for k in TEMPLATED}
        except TemplateError as exc:
            raise HandlerOptionError(str(exc)) from None
        self.additional = opt_dict(options, "additional-info")

    async def handle(self, event: Event) -> None:
        sec = enabled_section(self.env, "servicenow")
        url = section_field(sec, "url", "")
        if not url:
            raise HandlerFailed("servicenow: no url configured")
        data = {
            "ID": event.state.id,
            "Name": event.data.name,
            "TaskName": event.data.task_name,
            "Group": event.data.group,
            "Tags": GoMap(event.data.tags, zero=""),
            "Level": levels.name(event.state.level),
        }
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
        auth = None
        if section_field(sec, "username", ""):
            auth = (section_field(sec, "username"), section_field(sec, "password", ""))
        await http.post(self.env, url, json_body={"records": [record]}, auth=auth)


def _from_tick(args: list[Any], props: dict[str, Any]) -> dict[str, Any]:
    return {
        "source": props.get("source", ""),
        "node": props.get("node", ""),
        "type": props.get("type", ""),
        "resource": props.get("resource", ""),
        "metric-name": props.get("metricName", ""),
        "message-key": props.get("messageKey", ""),
        "additional-info": dict(props.get("additionalInfo") or {}),
    }


register("servicenow", ServiceNowHandler, _from_tick, "serviceNow")
