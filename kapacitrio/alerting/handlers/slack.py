"""The `slack` handler: an attachment message to a Slack incoming webhook (or chat.postMessage)."""

from __future__ import annotations

from typing import Any

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import define
from kapacitrio.alerting.handlers.base import HandlerFailed
from kapacitrio.alerting.handlers.http import HTTPRequest
from kapacitrio.alerting.handlers.kind import TLS_KEYS, Ctx, Kind, Tick, config_section
from kapacitrio.alerting.handlers.options import Opt, Table, Values
from kapacitrio.alerting.handlers.services_common import first, tls_verify

COLORS = {
    levels.OK: "good",
    levels.INFO: "good",
    levels.WARNING: "warning",
    levels.CRITICAL: "danger",
}

SlackConfig = config_section(
    "slack",
    "SlackConfig",
    "`[[slack]]`: one Slack workspace.",
    {
        "enabled": False,
        "default": False,
        "workspace": "",
        "url": "",
        "token": "",
        "channel": "",
        "username": "kapacitor",
        "icon_emoji": "",
        "global_": False,
        "state_changes_only": False,
        **TLS_KEYS,
    },
    many=True,
    secrets=("url", "token"),
    element_key="workspace",
)

TABLE = Table(
    "*slack.HandlerConfig",
    (Opt("workspace"), Opt("channel"), Opt("username"), Opt("icon-emoji")),
)


def slack_payload(event: Event, channel: str, username: str, icon_emoji: str) -> dict[str, Any]:
    msg = event.state.message
    body: dict[str, Any] = {"channel": channel}
    if username:
        body["username"] = username
    if icon_emoji:
        body["icon_emoji"] = icon_emoji
    body["text"] = ""
    body["attachments"] = [
        {"fallback": msg, "color": COLORS[event.state.level], "text": msg, "mrkdwn_in": ["text"]}
    ]
    return body


def request(o: Values, event: Event, ctx: Ctx) -> HTTPRequest:
    body = slack_payload(
        event,
        first(o["channel"], ctx.cfg("channel", "")),
        first(o["username"], ctx.cfg("username", "")),
        first(o["icon-emoji"], ctx.cfg("icon_emoji", "")),
    )
    url = ctx.cfg("url", "")
    if not url:
        raise HandlerFailed("slack: no url configured")
    token = ctx.cfg("token", "")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return HTTPRequest(url, json=body, headers=headers, verify=tls_verify(ctx.section))


define(
    Kind(
        "slack",
        TABLE,
        request,
        Tick("slack", "SlackHandler"),
        section="slack",
        section_key="workspace",
        select="workspace",
    )
)
