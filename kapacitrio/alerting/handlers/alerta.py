"""The `alerta` handler: creates or updates an alert in Alerta (`POST <url>/alert`)."""

from __future__ import annotations

import posixpath
import urllib.parse
from typing import Any

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import define
from kapacitrio.alerting.handlers.base import HandlerFailed
from kapacitrio.alerting.handlers.http import HTTPRequest
from kapacitrio.alerting.handlers.kind import Ctx, Kind, Tick, config_section
from kapacitrio.alerting.handlers.options import (
    DURATION,
    MAP,
    STRINGS,
    Opt,
    Table,
    Values,
)
from kapacitrio.alerting.handlers.services_common import first, template_data, tls_verify

SEVERITY = {
    levels.OK: "ok",
    levels.INFO: "informational",
    levels.WARNING: "warning",
    levels.CRITICAL: "critical",
}
DAY = 24 * 3600 * 1_000_000_000
SECOND = 1_000_000_000

AlertaConfig = config_section(
    "alerta",
    "AlertaConfig",
    "`[alerta]`: an Alerta server.",
    {
        "enabled": False,
        "url": "",
        "token": "",
        "token_prefix": "Bearer",
        "environment": "",
        "origin": "kapacitor",
        "insecure_skip_verify": False,
        "timeout": "0s",
    },
    secrets=("token",),
)

TABLE = Table(
    "*alerta.HandlerConfig",
    (
        Opt("token"),
        Opt("token-prefix"),
        Opt("resource", default="{{ .Name }}", templated=True),
        Opt("event", default="{{ .ID }}", templated=True),
        Opt("environment", templated=True),
        Opt("group", default="{{ .Group }}", templated=True),
        Opt("value", templated=True),
        Opt("origin", templated=True),
        Opt("service", STRINGS, templated=True, tick="services"),
        Opt("correlate", STRINGS, templated=True, tick="correlated"),
        Opt("timeout", DURATION, default=DAY),
        Opt("attributes", MAP, templated=True, tick="attribute"),
    ),
)


def _tick_defaults(opts: dict[str, Any], args: list[Any], props: dict[str, Any]) -> None:
    # an empty TICKscript template (or a zero timeout) means Kapacitor's default
    for name in ("resource", "event", "group"):
        if not opts.get(name):
            opts.pop(name, None)
    if not opts.get("timeout"):
        opts.pop("timeout", None)


def request(o: Values, event: Event, ctx: Ctx) -> HTTPRequest:
    data = template_data(event)
    resource, event_name = o.render("resource", data), o.render("event", data)
    if not resource or not event_name:
        raise HandlerFailed("Resource and Event are required to send an alert")
    body: dict[str, Any] = {
        "resource": resource,
        "event": event_name,
        "environment": first(o.render("environment", data), ctx.cfg("environment", "")),
        "severity": SEVERITY[event.state.level],
        "group": o.render("group", data),
        "value": o.render("value", data),
        "text": event.state.message,
        "origin": first(o.render("origin", data), ctx.cfg("origin", "")),
        "rawData": event.data.result,
        "service": o.render("service", data) or [event.data.name],
        "correlate": o.render("correlate", data) or [event.data.name],
        "timeout": o["timeout"] // SECOND,
        "tags": [f"{k}={v}" for k, v in event.data.tags.items()],
        "attributes": o.render("attributes", data),
    }
    token = first(o["token"], ctx.cfg("token", ""))
    prefix = first(o["token-prefix"], ctx.cfg("token_prefix", ""), "Bearer")
    u = urllib.parse.urlsplit(ctx.cfg("url", ""))
    url = urllib.parse.urlunsplit(u._replace(path=posixpath.join(u.path or "/", "alert")))
    return HTTPRequest(
        url,
        json=body,
        headers={"Authorization": f"{prefix} {token}"},
        verify=tls_verify(ctx.section),
    )


define(
    Kind(
        "alerta",
        TABLE,
        request,
        Tick("alerta", "AlertaHandler"),
        section="alerta",
        fix_tick=_tick_defaults,
    )
)
