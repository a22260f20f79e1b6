"""The `zenoss` handler: an event through Zenoss' JSON-RPC router (basic auth)."""

from __future__ import annotations

import json
from typing import Any

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import define
from kapacitrio.alerting.handlers.http import HTTPRequest
from kapacitrio.alerting.handlers.kind import SERVICE_KEYS, Ctx, Kind, Tick, config_section
from kapacitrio.alerting.handlers.options import INT, MAP, Opt, Table, Values
from kapacitrio.alerting.handlers.services_common import first, template_data

LEVEL_KEY = {levels.OK: "ok", levels.INFO: "info", levels.WARNING: "warning"}
LEVEL_KEY[levels.CRITICAL] = "critical"
SUMMARY_CUTOFF, MESSAGE_CUTOFF = 256, 4096  # bytes


def _default_severity_map() -> dict[str, Any]:
    return {"OK": "Clear", "Info": "Info", "Warning": "Warning", "Critical": "Critical"}


def _validate(cfg: Any) -> None:
    keys = {str(k).lower() for k in (cfg.severity_map or {})}
    if not set(LEVEL_KEY.values()) <= keys:
        raise ValueError("invalid severity mapping")
    for k, v in cfg.severity_map.items():
        if str(k).lower() not in LEVEL_KEY.values():
            raise ValueError(f"Unknown field {k} for SeverityMap")
        if isinstance(v, bool) or not isinstance(v, str | int | float):
            raise ValueError("invalid severity mapping")


ZenossConfig = config_section(
    "zenoss",
    "ZenossConfig",
    "`[zenoss]`: a Zenoss server's JSON router.",
    {
        "enabled": False,
        "url": "https://tenant.zenoss.io:8080/zport/dmd/evconsole_router",
        "username": "",
        "password": "",
        "action": "EventsRouter",
        "method": "add_event",
        "type": "rpc",
        "tid": 1,
        "collector": "Kapacitor",
        "severity_map": (dict[str, Any], _default_severity_map()),
        **{k: v for k, v in SERVICE_KEYS.items() if k != "enabled"},
    },
    secrets=("password",),
    validate=_validate,
)

#: Kapacitor matches these option names case-insensitively (so `Summary`, `eventClassKey`, ...);
#: kapacitrio's earlier spellings are accepted as aliases.
TABLE = Table(
    "*zenoss.HandlerConfig",
    (
        Opt("action"),
        Opt("method"),
        Opt("type"),
        Opt("tid", INT),
        Opt("summary", templated=True),
        Opt("device", templated=True),
        Opt("component", templated=True),
        Opt("eventclasskey", templated=True, tick="eventClassKey", aliases=("event-class-key",)),
        Opt("eventclass", templated=True, tick="eventClass", aliases=("event-class",)),
        Opt("collector", templated=True),
        Opt("message", templated=True),
        Opt("customField", MAP, templated=True, aliases=("custom-fields",)),
    ),
)


def severity(severity_map: dict[str, Any], level: int) -> Any:
    """The configured severity (name or number) of a level; map keys in any case."""
    want = LEVEL_KEY[level]
    for k, v in severity_map.items():
        if str(k).lower() == want:
            return v
    return None


def _cut(text: str, limit: int) -> str:
    return text.encode()[:limit].decode(errors="replace")


def _custom(value: Any) -> Any:
    """A custom field: text that looks like JSON is sent as that JSON."""
    if isinstance(value, str) and value.startswith(("{", "[")):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def request(o: Values, event: Event, ctx: Ctx) -> HTTPRequest:
    data = template_data(event)
    sev_map = ctx.cfg("severity_map", None) or _default_severity_map()
    record: dict[str, Any] = {
        "summary": _cut(first(o.render("summary", data), event.state.message), SUMMARY_CUTOFF),
        "device": o.render("device", data),
        "component": o.render("component", data),
        "severity": severity(sev_map, event.state.level),
        "evclasskey": o.render("eventclasskey", data),
        "evclass": o.render("eventclass", data),
    }
    collector = first(o.render("collector", data), ctx.cfg("collector", ""))
    if collector:
        record["collector"] = collector
    message = _cut(o.render("message", data), MESSAGE_CUTOFF)
    if message:
        record["message"] = message
    record.update({k: _custom(v) for k, v in o.render("customField", data).items()})
    body = {
        "action": first(o["action"], ctx.cfg("action", "")),
        "method": first(o["method"], ctx.cfg("method", "")),
        "data": [record],
        "type": first(o["type"], ctx.cfg("type", "")),
        "tid": o["tid"] or ctx.cfg("tid", 0),
    }
    user, password = ctx.cfg("username", ""), ctx.cfg("password", "")
    auth = (user, password) if user and password else None
    return HTTPRequest(ctx.cfg("url", ""), json=body, auth=auth)


define(Kind("zenoss", TABLE, request, Tick("zenoss", "ZenossHandler"), section="zenoss"))
