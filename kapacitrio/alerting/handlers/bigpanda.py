"""The `bigpanda` handler: an alert for BigPanda's alerts API."""

from __future__ import annotations

import html
from typing import Any

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import define
from kapacitrio.alerting.handlers.base import HandlerFailed
from kapacitrio.alerting.handlers.http import HTTPRequest
from kapacitrio.alerting.handlers.kind import SERVICE_KEYS, Ctx, Kind, Tick, config_section
from kapacitrio.alerting.handlers.options import MAP, Opt, Table, Values
from kapacitrio.alerting.handlers.services_common import first, template_data, tls_verify

STATUS = {
    levels.OK: "ok",
    levels.INFO: "ok",
    levels.WARNING: "warning",
    levels.CRITICAL: "critical",
}

BigPandaConfig = config_section(
    "bigpanda",
    "BigPandaConfig",
    "`[bigpanda]`: a BigPanda integration.",
    {
        "enabled": False,
        "url": "https://api.bigpanda.io/data/v2/alerts",
        "app_key": "",
        "token": "",
        "auto_attributes": "tags,fields",
        **{k: v for k, v in SERVICE_KEYS.items() if k != "enabled"},
        "insecure_skip_verify": False,
    },
    secrets=("token",),
)

TABLE = Table(
    "*bigpanda.HandlerConfig",
    (
        Opt("app-key"),
        Opt("primary-property"),
        Opt("secondary-property"),
        Opt("host", templated=True),
        Opt("attributes", MAP, templated=True, tick="attribute"),
    ),
)


def request(o: Values, event: Event, ctx: Ctx) -> HTTPRequest:
    app_key = first(o["app-key"], ctx.cfg("app_key", ""))
    token = ctx.cfg("token", "")
    if not app_key or not token:
        raise HandlerFailed("bigpanda: app-key and token are required")
    data = template_data(event)
    body: dict[str, Any] = {}
    if event.state.message:
        body["description"] = event.state.message
    details = html.unescape(event.state.details)
    if details and not details.startswith("{"):  # the default details are the event's JSON
        body["details"] = details
    if event.state.id:
        body["check"] = event.state.id
    body["task"] = f"{event.data.task_name}:{event.data.name}"
    body["timestamp"] = event.state.time // 1_000_000_000
    body["status"] = STATUS[event.state.level]
    body["app_key"] = app_key
    if o["primary-property"]:
        body["primary_property"] = o["primary-property"]
    if o["secondary-property"]:
        body["secondary_property"] = o["secondary-property"]
    host = o.render("host", data)
    if host:
        body["host"] = host
    auto = {a.strip() for a in str(ctx.cfg("auto_attributes", "") or "").split(",")}
    if "tags" in auto:
        body.update({k: str(v) for k, v in event.data.tags.items()})
    if "fields" in auto:
        body.update(event.data.fields)
    body.update(o.render("attributes", data))
    headers = {"Authorization": f"Bearer {token}"}
    return HTTPRequest(
        ctx.cfg("url", ""), json=body, headers=headers, verify=tls_verify(ctx.section)
    )


define(Kind("bigpanda", TABLE, request, Tick("bigPanda", "BigPandaHandler"), section="bigpanda"))
