"""The `discord` handler: an embed posted to a Discord webhook."""

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
from kapacitrio.models.timefmt import format_rfc3339

COLOR = {
    levels.OK: 0x00CC00,
    levels.INFO: 0x0099FF,
    levels.WARNING: 0xFFA500,
    levels.CRITICAL: 0xCC0000,
}


@section("discord", many=True)
@dataclass
class DiscordConfig:
    """`[[discord]]`: one Discord webhook."""

    enabled: bool = False
    default: bool = False
    workspace: str = ""
    url: str = ""
    timestamp: bool = False
    username: str = "Kapacitor"
    avatar_url: str = ""
    embed_title: str = ""
    global_: bool = False
    state_changes_only: bool = False
    ssl_ca: str = ""
    ssl_cert: str = ""
    ssl_key: str = ""
    insecure_skip_verify: bool = False

    SECRETS = ("url",)


class DiscordHandler(Handler):
    def __init__(self, options: dict[str, Any], env: HandlerEnv) -> None:
        self.env = env
        self.workspace = opt_str(options, "workspace")
        self.username = opt_str(options, "username")
        self.avatar_url = opt_str(options, "avatar-url")
        self.embed_title = opt_str(options, "embed-title")

    async def handle(self, event: Event) -> None:
        sec = enabled_section(self.env, "discord", "workspace", self.workspace)
        url = required_url(sec, "discord")
        embed: dict[str, Any] = {
            "color": COLOR[event.state.level],
            "title": first(self.embed_title, section_field(sec, "embed_title", "")),
            "description": event.state.message,
        }
        if section_field(sec, "timestamp", False):
            embed["timestamp"] = format_rfc3339(event.state.time)
        body = {
            "username": first(self.username, section_field(sec, "username", "")),
            "avatar_url": first(self.avatar_url, section_field(sec, "avatar_url", "")),
            "embeds": [embed],
        }
        await http.post(
            self.env,
            url,
            json_body=body,
            verify=tls_verify(sec),
        )


def _from_tick(args: list[Any], props: dict[str, Any]) -> dict[str, Any]:
    names = {"workspace": "workspace", "username": "username"}
    return string_props(props, {**names, "avatarUrl": "avatar-url", "embedTitle": "embed-title"})


register("discord", DiscordHandler, _from_tick)
