"""The `teams` handler: a MessageCard to a Microsoft Teams incoming webhook."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import http, register
from kapacitrio.alerting.handlers.base import (
    Handler,
    HandlerEnv,
    HandlerFailed,
    opt_str,
    section_field,
)
from kapacitrio.alerting.handlers.services_common import enabled_section, first
from kapacitrio.config import section

THEME = {levels.CRITICAL: "CC0000", levels.WARNING: "FFA500"}
GREEN = "008000"


@section("teams")
@dataclass
class TeamsConfig:
    """`[teams]`: a Teams channel webhook."""

    enabled: bool = False
    channel_url: str = ""
    global_: bool = False
    state_changes_only: bool = False

    SECRETS = ("channel_url",)


def teams_card(event: Event) -> dict[str, Any]:
    text = event.state.message
    if event.state.details:
        text = f"{text}\n\n{event.state.details}"
    return {
        "@type": "MessageCard",
        "@context": "http://schema.org/extensions",
        "title": event.state.id,
        "text": text,
        "summary": event.state.message,
        "themeColor": THEME.get(event.state.level, GREEN),
    }


class TeamsHandler(Handler):
    def __init__(self, options: dict[str, Any], env: HandlerEnv) -> None:
        self.env = env
        self.channel_url = opt_str(options, "channel-url")

    async def handle(self, event: Event) -> None:
        sec = enabled_section(self.env, "teams")
        url = first(self.channel_url, section_field(sec, "channel_url", ""))
        if not url:
            raise HandlerFailed("teams: no channel-url")
        await http.post(self.env, url, json_body=teams_card(event))


register("teams", TeamsHandler, lambda a, p: {"channel-url": p.get("channelURL", "")})
