"""The `pagerduty` handler: PagerDuty's v1 generic events API."""

from __future__ import annotations

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import define
from kapacitrio.alerting.handlers.base import HandlerFailed
from kapacitrio.alerting.handlers.http import HTTPRequest
from kapacitrio.alerting.handlers.kind import Ctx, Kind, Tick, config_section
from kapacitrio.alerting.handlers.options import Opt, Table, Values
from kapacitrio.alerting.handlers.services_common import client_url, first

PagerDutyConfig = config_section(
    "pagerduty",
    "PagerDutyConfig",
    "`[pagerduty]`: PagerDuty's v1 events API.",
    {
        "enabled": False,
        "service_key": "",
        "url": "https://events.pagerduty.com/generic/2010-04-15/create_event.json",
        "global_": False,
    },
    secrets=("service_key",),
)

TABLE = Table("*pagerduty.HandlerConfig", (Opt("service-key"),))


def request(o: Values, event: Event, ctx: Ctx) -> HTTPRequest:
    level = event.state.level
    if level == levels.INFO:
        raise HandlerFailed("AlertLevel 'info' is currently ignored by the PagerDuty service")
    body = {
        "event_type": "resolve" if level == levels.OK else "trigger",
        "service_key": first(o["service-key"], ctx.cfg("service_key", "")),
        "description": event.state.message,
        "incident_key": event.state.id,
        "client": "kapacitor",
        "client_url": client_url(ctx.env),
        "details": event.state.details,
    }
    return HTTPRequest(ctx.cfg("url", ""), json=body)


define(
    Kind(
        "pagerduty",
        TABLE,
        request,
        Tick("pagerDuty", "PagerDutyHandler"),
        section="pagerduty",
    )
)
