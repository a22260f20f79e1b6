"""The `zenoss` handler: an event through Zenoss' JSON-RPC router (basic auth)."""

from __future__ import annotations

from dataclasses import dataclass, field
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
    string_props,
)
from kapacitrio.config import section

SEVERITY_KEYS = {
    levels.OK: "OK",
    levels.INFO: "Info",
    levels.WARNING: "Warning",
    levels.CRITICAL: "Critical",
}
TEMPLATED = (
    "summary",
    "device",
    "component",
    "event-class-key",
    "event-class",
    "collector",
    "message",
)


def _default_severity_map() -> dict[str, str]:
    return {"OK": "Clear", "Info": "Info", "Warning": "Warning", "Critical": "Critical"}


@section("zenoss")
@dataclass
class ZenossConfig:
    """`[zenoss]`: a Zenoss server's JSON router."""

    enabled: bool = False
    url: str = "https://tenant.zenoss.io:8080/zport/dmd/evconsole_router"
    username: str = ""
    password: str = ""
    action: str = "EventsRouter"
    method: str = "add_event"
    type: str = "rpc"
    tid: int = 1
    collector: str = "Kapacitor"
    severity_map: dict[str, str] = field(default_factory=_default_severity_map)
    global_: bool = False
    state_changes_only: bool = False

    SECRETS = ("password",)


class ZenossHandler(Handler):
    def __init__(self, options: dict[str, Any], env: HandlerEnv) -> None:
        self.env = env
        self.action = opt_str(options, "action")
        self.method = opt_str(options, "method")
        self.type = opt_str(options, "type")
        self.tid = options.get("tid") or 0
        self.templates = {k: compile_template(opt_str(options, k), k) for k in TEMPLATED}
        self.custom = opt_dict(options, "custom-fields")

    async def handle(self, event: Event) -> None:
        sec = enabled_section(self.env, "zenoss")
        data = event_template_data(event, Message=event.state.message)
        r = {k: t.render(data) for k, t in self.templates.items()}
        severity_map = section_field(sec, "severity_map", None) or _default_severity_map()
        record = {
            "summary": first(r["summary"], event.state.message),
            "device": first(r["device"], event.data.tags.get("host", ""), event.state.id),
            "component": r["component"],
            "severity": severity_map.get(SEVERITY_KEYS[event.state.level], ""),
            "evclasskey": r["event-class-key"],
            "evclass": r["event-class"],
            "collector": first(r["collector"], section_field(sec, "collector", "Kapacitor")),
            "message": first(r["message"], event.state.message),
            **self.custom,
        }
        body = {
            "action": first(self.action, section_field(sec, "action", "EventsRouter")),
            "method": first(self.method, section_field(sec, "method", "add_event")),
            "data": [record],
            "type": first(self.type, section_field(sec, "type", "rpc")),
            "tid": self.tid or section_field(sec, "tid", 1),
        }
        url = section_field(sec, "url", "")
        await http.post(self.env, url, json_body=body, auth=basic_auth(sec))


def _from_tick(args: list[Any], props: dict[str, Any]) -> dict[str, Any]:
    names = {
        "summary": "summary", "device": "device", "component": "component",
        "eventClassKey": "event-class-key", "eventClass": "event-class",
        "collector": "collector", "message": "message",
        "action": "action", "method": "method", "type": "type",
    }  # fmt: skip
    opts = string_props(props, names)
    opts["tid"] = int(props.get("tid") or 0)
    opts["custom-fields"] = dict(props.get("customFields") or {})
    return opts


register("zenoss", ZenossHandler, _from_tick)
