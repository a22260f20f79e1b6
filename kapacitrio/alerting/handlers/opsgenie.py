"""The `opsgenie` handler: OpsGenie's v1 JSON alert API (the API key travels in the body)."""

from __future__ import annotations

from typing import Any

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import define
from kapacitrio.alerting.handlers.http import HTTPRequest
from kapacitrio.alerting.handlers.kind import Ctx, Kind, Tick, config_section
from kapacitrio.alerting.handlers.options import STRINGS, Opt, Table, Values
from kapacitrio.alerting.handlers.services_common import result_json

OpsGenieConfig = config_section(
    "opsgenie",
    "OpsGenieConfig",
    "`[opsgenie]`: OpsGenie's v1 alert API.",
    {
        "enabled": False,
        "api_key": "",
        "teams": [],
        "recipients": [],
        "url": "https://api.opsgenie.com/v1/json/alert",
        "recovery_url": "https://api.opsgenie.com/v1/json/alert/note",
        "global_": False,
    },
    secrets=("api_key",),
)

#: The topic-handler options are Kapacitor's `teams-list`/`recipients-list`; `teams` and
#: `recipients` (the TICKscript names) are accepted too.
TABLE = Table(
    "*opsgenie.HandlerConfig",
    (
        Opt("teams-list", STRINGS, tick="teams", aliases=("teams",)),
        Opt("recipients-list", STRINGS, tick="recipients", aliases=("recipients",)),
    ),
)


def request(o: Values, event: Event, ctx: Ctx) -> HTTPRequest:
    body: dict[str, Any] = {
        "apiKey": ctx.cfg("api_key", ""),
        "entity": event.state.id,
        "alias": event.state.id,
        "message": event.state.message,
        "note": "",
        "details": {"Level": levels.name(event.state.level), "Monitoring Tool": "Kapacitor"},
    }
    if event.state.level == levels.OK:
        return HTTPRequest(ctx.cfg("recovery_url", "") + "/", json=body)
    body["description"] = result_json(event)
    teams = o["teams-list"] or list(ctx.cfg("teams", []) or [])
    users = o["recipients-list"] or list(ctx.cfg("recipients", []) or [])
    if teams:
        body["teams"] = teams
    if users:
        body["recipients"] = users
    return HTTPRequest(ctx.cfg("url", "") + "/", json=body)


define(
    Kind(
        "opsgenie",
        TABLE,
        request,
        Tick("opsGenie", "OpsGenieHandler"),
        section="opsgenie",
    )
)
