"""The `servicenow` handler: an event record for a ServiceNow instance's event API."""

from __future__ import annotations

from typing import Any

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import define
from kapacitrio.alerting.handlers.http import HTTPRequest
from kapacitrio.alerting.handlers.kind import SERVICE_KEYS, Ctx, Kind, Tick, config_section
from kapacitrio.alerting.handlers.options import MAP, Opt, Table, Values
from kapacitrio.alerting.handlers.services_common import basic_auth, first, template_data
from kapacitrio.models import gonumbers

SEVERITY = {levels.OK: "5", levels.INFO: "5", levels.WARNING: "4", levels.CRITICAL: "1"}

ServiceNowConfig = config_section(
    "servicenow",
    "ServiceNowConfig",
    "`[servicenow]`: a ServiceNow instance's event API.",
    {
        "enabled": False,
        "url": "https://instance.service-now.com/api/global/em/jsonv2",
        "source": "Kapacitor",
        "username": "",
        "password": "",
        **{k: v for k, v in SERVICE_KEYS.items() if k != "enabled"},
    },
    secrets=("password",),
)

TABLE = Table(
    "*servicenow.HandlerConfig",
    (
        Opt("source", templated=True),
        Opt("node", templated=True),
        Opt("type", templated=True),
        Opt("resource", templated=True),
        Opt("metric-name", templated=True),
        Opt("message-key", templated=True),
        Opt("additional-info", MAP, templated=True, tick="additionalInfo"),
    ),
)


def request(o: Values, event: Event, ctx: Ctx) -> HTTPRequest:
    data = template_data(event)
    record: dict[str, Any] = {
        "source": first(o.render("source", data), ctx.cfg("source", "Kapacitor")),
        "node": o.render("node", data),
        "type": o.render("type", data),
        "resource": o.render("resource", data),
        "metric_name": o.render("metric-name", data),
        "message_key": first(o.render("message-key", data), event.state.id),
        "severity": SEVERITY[event.state.level],
        "description": event.state.message,
    }
    info = o.render("additional-info", data)
    if info:
        # ServiceNow takes additional_info as a JSON document inside a string
        record["additional_info"] = gonumbers.dumps(info, separators=(",", ":"), sort_keys=True)
    url = ctx.cfg("url", "")
    return HTTPRequest(url, json={"records": [record]}, auth=basic_auth(ctx.section))


define(
    Kind(
        "servicenow",
        TABLE,
        request,
        Tick("serviceNow", "ServiceNowHandler"),
        section="servicenow",
    )
)
