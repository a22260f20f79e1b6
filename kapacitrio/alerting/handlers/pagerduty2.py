"""The `pagerduty2` handler: PagerDuty's Events API v2."""

from __future__ import annotations

from typing import Any

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import define
from kapacitrio.alerting.handlers.http import HTTPRequest
from kapacitrio.alerting.handlers.kind import Ctx, Kind, Tick, config_section
from kapacitrio.alerting.handlers.options import LIST, Opt, Table, Values
from kapacitrio.alerting.handlers.services_common import (
    client_url,
    first,
    rfc3339_nano_fixed,
    template_data,
)
from kapacitrio.tick.gotemplate import Template, TemplateError

SEVERITY = {levels.CRITICAL: "critical", levels.WARNING: "warning"}

PagerDuty2Config = config_section(
    "pagerduty2",
    "PagerDuty2Config",
    "`[pagerduty2]`: PagerDuty's Events API v2.",
    {
        "enabled": False,
        "routing_key": "",
        "url": "https://events.pagerduty.com/v2/enqueue",
        "global_": False,
    },
    secrets=("routing_key",),
)


def _link(props: dict[str, Any], args: list[Any]) -> str | None:
    if not 1 <= len(args) <= 2:
        return "link expects one or two arguments: href and text"
    props["links"].append({"href": args[0], "text": args[1] if len(args) > 1 else args[0]})
    return None


def _links(value: list[dict[str, Any]]) -> list[tuple[Template, Template]]:
    out = []
    for i, link in enumerate(value):
        href, text = link.get("href", ""), link.get("text", "")
        if not isinstance(href, str) or not isinstance(text, str) or set(link) - {"href", "text"}:
            raise ValueError(f"invalid link {i}: a link has a string href and text")
        try:
            out.append((Template(href, name="href"), Template(text or href, name="text")))
        except TemplateError as exc:
            raise ValueError(str(exc)) from None
    return out


def _service_key(opts: dict[str, Any], args: list[Any], props: dict[str, Any]) -> None:
    # TICKscript's deprecated .serviceKey() is the routing key when it is set.
    key = opts.pop("service-key", None)
    if key:
        opts["routing-key"] = key


TABLE = Table(
    "*pagerduty2.HandlerConfig",
    (
        Opt("routing-key"),
        Opt(
            "links", LIST, convert=_links, tick_params=("...string",), tick_apply=_link, tick="link"
        ),
        Opt("service-key", topic=False),
    ),
)


def request(o: Values, event: Event, ctx: Ctx) -> HTTPRequest:
    data = template_data(event)
    level = event.state.level
    body: dict[str, Any] = {
        "client": "kapacitor",
        "client_url": client_url(ctx.env),
        "event_action": "resolve" if level == levels.OK else "trigger",
        "dedup_key": event.state.id,
        "payload": {
            "summary": event.state.message,
            "source": event.data.tags.get("host") or "unknown",
            "severity": SEVERITY.get(level, "info"),
            "timestamp": rfc3339_nano_fixed(event.state.time),
            "class": event.data.task_name,
            "custom_details": {"result": event.data.result},
        },
        "routing_key": first(o["routing-key"], ctx.cfg("routing_key", "")),
    }
    if o["links"]:
        body["links"] = [{"href": h.render(data), "text": t.render(data)} for h, t in o["links"]]
    return HTTPRequest(ctx.cfg("url", ""), json=body)


define(
    Kind(
        "pagerduty2",
        TABLE,
        request,
        Tick("pagerDuty2", "PagerDuty2Handler"),
        section="pagerduty2",
        fix_tick=_service_key,
    )
)
