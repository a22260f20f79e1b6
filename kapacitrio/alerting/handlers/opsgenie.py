"""The `opsgenie` handler: OpsGenie's v1 alert API (create; a note on recovery)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import http, register
from kapacitrio.alerting.handlers.base import Handler, HandlerEnv, opt_list, section_field
from kapacitrio.alerting.handlers.services_common import enabled_section
from kapacitrio.config import section


@section("opsgenie")
@dataclass
class OpsGenieConfig:
    """`[opsgenie]`: OpsGenie's v1 alert API."""

    enabled: bool = False
    api_key: str = ""
    teams: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    url: str = "https://api.opsgenie.com/v1/json/alert"
    recovery_url: str = "https://api.opsgenie.com/v1/json/alert/note"
    global_: bool = False

    SECRETS = ("api_key",)


class OpsGenieHandler(Handler):
    def __init__(self, options: dict[str, Any], env: HandlerEnv) -> None:
        self.env = env
        self.teams = opt_list(options, "teams")
        self.recipients = opt_list(options, "recipients")

    async def handle(self, event: Event) -> None:
        sec = enabled_section(self.env, "opsgenie")
        body: dict[str, Any] = {
            "apiKey": section_field(sec, "api_key", ""),
            "entity": event.state.id,
            "alias": event.state.id,
            "message": event.state.message,
            "note": "",
            "details": event.state.details,
        }
        teams = self.teams or list(section_field(sec, "teams", []) or [])
        users = self.recipients or list(section_field(sec, "recipients", []) or [])
        if teams:
            body["teams"] = teams
        if users:
            body["recipients"] = users
        url = section_field(sec, "url", "")
        if event.state.level == levels.OK:
            url = section_field(sec, "recovery_url", "")
            body = {"apiKey": body["apiKey"], "alias": event.state.id, "note": event.state.message}
        await http.post(self.env, url, json_body=body)


def _from_tick(args: list[Any], props: dict[str, Any]) -> dict[str, Any]:
    return {
        "teams": list(props.get("teams") or []),
        "recipients": list(props.get("recipients") or []),
    }


register("opsgenie", OpsGenieHandler, _from_tick, "opsGenie")
