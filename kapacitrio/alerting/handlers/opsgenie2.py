"""The `opsgenie2` handler: OpsGenie's v2 alert API (create, then notes or close on recovery)."""

from __future__ import annotations

import base64
import posixpath
import urllib.parse
from typing import Any

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import define
from kapacitrio.alerting.handlers.http import HTTPRequest
from kapacitrio.alerting.handlers.kind import Ctx, Kind, Tick, config_section
from kapacitrio.alerting.handlers.options import STRINGS, Opt, Table, Values
from kapacitrio.alerting.handlers.services_common import first, result_json

PRIORITY = {levels.CRITICAL: "P1", levels.WARNING: "P3", levels.INFO: "P5"}

OpsGenie2Config = config_section(
    "opsgenie2",
    "OpsGenie2Config",
    "`[opsgenie2]`: OpsGenie's v2 alert API.",
    {
        "enabled": False,
        "api_key": "",
        "teams": [],
        "recipients": [],
        "url": "https://api.opsgenie.com/v2/alerts",
        "recovery_action": "notes",
        "details": False,
        "global_": False,
    },
    secrets=("api_key",),
)


def _action(value: str) -> str:
    if value not in ("", "notes", "close"):
        raise ValueError(f"invalid recovery action {value!r}: use notes or close")
    return value


TABLE = Table(
    "*opsgenie2.HandlerConfig",
    (
        Opt("teams-list", STRINGS, tick="teams", aliases=("teams",)),
        Opt("recipients-list", STRINGS, tick="recipients", aliases=("recipients",)),
        Opt("recovery-action", tick="recoveryAction", convert=_action),
    ),
)


def alias_of(event_id: str) -> str:
    """Kapacitor's alert alias: the event ID in URL-safe base64."""
    return base64.urlsafe_b64encode(event_id.encode()).decode()


def request(o: Values, event: Event, ctx: Ctx) -> HTTPRequest:
    headers = {"Authorization": f"GenieKey {ctx.cfg('api_key', '')}"}
    alias = alias_of(event.state.id)
    url = ctx.cfg("url", "")
    if event.state.level == levels.OK:
        action = first(o["recovery-action"], ctx.cfg("recovery_action", "notes"))
        u = urllib.parse.urlsplit(url)
        path = posixpath.join(u.path or "/", alias, action)
        url = urllib.parse.urlunsplit((u.scheme, u.netloc, path, "identifierType=alias", ""))
        body: dict[str, Any] = {"note": event.state.message}
        return HTTPRequest(url, json=body, headers=headers)
    details = {"Monitoring Tool": "Kapacitor", "Level": levels.name(event.state.level)}
    series = (event.data.result or {}).get("series") or []
    if series:
        details.update({k: str(v) for k, v in (series[0].get("tags") or {}).items()})
        details["Kapacitor Task Name"] = series[0].get("name", "")
    body = {
        "entity": event.state.id,
        "alias": alias,
        "message": event.state.message,
        "note": "",
        "priority": PRIORITY[event.state.level],
        "description": result_json(event),
        "details": details,
    }
    teams = o["teams-list"] or list(ctx.cfg("teams", []) or [])
    users = o["recipients-list"] or list(ctx.cfg("recipients", []) or [])
    responders = [{"name": t, "type": "team"} for t in teams]
    responders += [{"username": u, "type": "user"} for u in users]
    if responders:
        body["responders"] = responders
    return HTTPRequest(url, json=body, headers=headers)


define(
    Kind(
        "opsgenie2",
        TABLE,
        request,
        Tick("opsGenie2", "OpsGenie2Handler"),
        section="opsgenie2",
    )
)
