"""The `slack` handler: posts a message with a level-coloured attachment to a Slack webhook/API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import http, register
from kapacitrio.alerting.handlers.base import (
    Handler,
    HandlerEnv,
    opt_str,
    section_field,
)
from kapacitrio.alerting.handlers.services_common import (
    enabled_section,
    first,
    required_url,
    string_props,
    tls_verify,
)
from kapacitrio.config import section

COLORS = {
    levels.OK: "good",
    levels.INFO: "good",
    levels.WARNING: "warning",
    levels.CRITICAL: "danger",
}


@section("slack", many=True)
@dataclass
class SlackConfig:
    """`[[slack]]`: one Slack workspace."""

    enabled: bool = False
    default: bool = False
    workspace: str = ""
    url: str = ""
    token: str = ""
    channel: str = ""
    username: str = "kapacitor"
    icon_emoji: str = ""
    global_: bool = False
    state_changes_only: bool = False
    ssl_ca: str = ""
    ssl_cert: str = ""
    ssl_key: str = ""
    insecure_skip_verify: bool = False

    SECRETS = ("url", "token")


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


class SlackHandler(Handler):
    def __init__(self, options: dict[str, Any], env: HandlerEnv) -> None:
        self.env = env
        self.workspace = opt_str(options, "workspace")
        self.channel = opt_str(options, "channel")
        self.username = opt_str(options, "username")
        self.icon_emoji = opt_str(options, "icon-emoji")

    async def handle(self, event: Event) -> None:
        sec = enabled_section(self.env, "slack", "workspace", self.workspace)
        body = slack_payload(
            event,
            first(self.channel, section_field(sec, "channel", "")),
            first(self.username, section_field(sec, "username", "")),
            first(self.icon_emoji, section_field(sec, "icon_emoji", "")),
        )
        url = required_url(sec, "slack")
        headers = {}
        token = section_field(sec, "token", "")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        await http.post(
            self.env,
            url,
            json_body=body,
            headers=headers,
            verify=tls_verify(sec),
        )


def _from_tick(args: list[Any], props: dict[str, Any]) -> dict[str, Any]:
    names = {"workspace": "workspace", "channel": "channel", "username": "username"}
    return string_props(props, {**names, "iconEmoji": "icon-emoji"})


register("slack", SlackHandler, _from_tick)
