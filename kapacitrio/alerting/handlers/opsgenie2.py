"""The `opsgenie2` handler: OpsGenie Alert API v2 (create; notes or close on recovery)."""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import http, register
from kapacitrio.alerting.handlers.base import (
    Handler,
    HandlerEnv,
    HandlerFailed,
    HandlerOptionError,
    opt_list,
    opt_str,
    section_field,
)
from kapacitrio.alerting.handlers.services_common import enabled_section, first
from kapacitrio.config import section

PRIORITY = {levels.CRITICAL: "P1", levels.WARNING: "P3", levels.INFO: "P5", levels.OK: "P5"}


@section("opsgenie2")
@dataclass
class OpsGenie2Config:
    """`[opsgenie2]`: OpsGenie's v2 alert API."""

    enabled: bool = False
    api_key: str = ""
    teams: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    url: str = "https://api.opsgenie.com/v2/alerts"
    recovery_action: str = "notes"
    details: bool = False
    global_: bool = False

    SECRETS = ("api_key",)


class OpsGenie2Handler(Handler):
    def __init__(self, options: dict[str, Any], env: HandlerEnv) -> None:
        self.env = env
        self.teams = opt_list(options, "teams")
        self.recipients = opt_list(options, "recipients")
        self.recovery_action = opt_str(options, "recovery-action")
        if self.recovery_action not in ("", "notes", "close"):
            raise HandlerOptionError(
                f"invalid recovery action {self.recovery_action!r}: use notes or close"
            )

    async def handle(self, event: Event) -> None:
        sec = enabled_section(self.env, "opsgenie2")
        key = section_field(sec, "api_key", "")
        if not key:
            raise HandlerFailed("opsgenie2: no api-key configured")
        url = section_field(sec, "url", "").rstrip("/")
        headers = {"Authorization": f"GenieKey {key}"}
        if event.state.level == levels.OK:
            action = first(self.recovery_action, section_field(sec, "recovery_action", "notes"))
            alias = urllib.parse.quote(event.state.id, safe="")
            await http.post(
                self.env,
                f"{url}/{alias}/{action}?identifierType=alias",
                json_body={"note": event.state.message},
                headers=headers,
            )
            return
        teams = self.teams or list(section_field(sec, "teams", []) or [])
        users = self.recipients or list(section_field(sec, "recipients", []) or [])
        if section_field(sec, "details", False):
            description = event.state.details
        else:
            description = json.dumps(event.data.result, separators=(",", ":"))
        body = {
            "message": event.state.message,
            "entity": event.state.id,
            "alias": event.state.id,
            "note": "",
            "priority": PRIORITY[event.state.level],
            "description": description,
            "details": {
                "Level": levels.name(event.state.level),
                "Monitoring Tool": "Kapacitor",
                "Kapacitor Task Name": event.data.task_name,
            },
            "responders": [{"type": "team", "name": t} for t in teams]
            + [{"type": "user", "username": u} for u in users],
        }
        await http.post(self.env, url, json_body=body, headers=headers)


def _from_tick(args: list[Any], props: dict[str, Any]) -> dict[str, Any]:
    return {
        "teams": list(props.get("teams") or []),
        "recipients": list(props.get("recipients") or []),
        "recovery-action": props.get("recoveryAction", ""),
    }


register("opsgenie2", OpsGenie2Handler, _from_tick, "opsGenie2")
