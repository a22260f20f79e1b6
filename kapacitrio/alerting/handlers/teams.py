"""The `teams` handler: a MessageCard to a Microsoft Teams incoming webhook."""

from __future__ import annotations

from typing import Any

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import define
from kapacitrio.alerting.handlers.http import HTTPRequest
from kapacitrio.alerting.handlers.kind import SERVICE_KEYS, Ctx, Kind, Tick, config_section
from kapacitrio.alerting.handlers.options import Opt, Table, Values
from kapacitrio.alerting.handlers.services_common import first

COLOR = {levels.WARNING: "FFA533", levels.CRITICAL: "CC4A31"}
OTHER_COLOR = "34CC25"
SUMMARY_CUTOFF = 70  # bytes of the summary kept before "..."

TeamsConfig = config_section(
    "teams",
    "TeamsConfig",
    "`[teams]`: a Teams channel webhook.",
    {**SERVICE_KEYS, "channel_url": ""},
    secrets=("channel_url",),
)

TABLE = Table("*teams.HandlerConfig", (Opt("channel-url", tick="channelURL"),))


def card(topic: str, alert_id: str, message: str, level: int) -> dict[str, Any]:
    """Kapacitor's MessageCard: title and summary from level, ID (or topic) and message."""
    name = levels.name(level)
    if not alert_id and not topic:
        title = name
        summary = f"{title}: {message}"
    else:
        title = f"{name}: [{alert_id or topic}]"
        summary = f"{title} - {message}"
    cut = summary.encode()[:SUMMARY_CUTOFF].decode(errors="replace")
    return {
        "@type": "MessageCard",
        "@context": "http://schema.org/extensions",
        "title": title,
        "text": message,
        "summary": cut + "...",
        "themeColor": COLOR.get(level, OTHER_COLOR),
    }


def request(o: Values, event: Event, ctx: Ctx) -> HTTPRequest:
    url = first(o["channel-url"], ctx.cfg("channel_url", ""))
    body = card(event.topic, event.state.id, event.state.message, event.state.level)
    return HTTPRequest(url, json=body)


define(
    Kind(
        "teams",
        TABLE,
        request,
        Tick("teams", "TeamsHandler"),
        section="teams",
    )
)
