"""The `hipchat` handler: a room notification through the HipChat v2 API."""

from __future__ import annotations

import urllib.parse
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

COLOR = {levels.OK: "green", levels.INFO: "green", levels.WARNING: "yellow", levels.CRITICAL: "red"}


@section("hipchat")
@dataclass
class HipChatConfig:
    """`[hipchat]`: a HipChat server."""

    enabled: bool = False
    url: str = ""
    room: str = ""
    token: str = ""
    global_: bool = False
    state_changes_only: bool = False

    SECRETS = ("token",)


class HipChatHandler(Handler):
    def __init__(self, options: dict[str, Any], env: HandlerEnv) -> None:
        self.env = env
        self.room = opt_str(options, "room")
        self.token = opt_str(options, "token")

    async def handle(self, event: Event) -> None:
        sec = enabled_section(self.env, "hipchat")
        room = first(self.room, section_field(sec, "room", ""))
        token = first(self.token, section_field(sec, "token", ""))
        if not room or not token:
            raise HandlerFailed("hipchat: room and token are required")
        url = (
            f"{section_field(sec, 'url', '').rstrip('/')}/{urllib.parse.quote(room, safe='')}"
            f"/notification?auth_token={urllib.parse.quote(token, safe='')}"
        )
        body = {
            "from": "kapacitor",
            "message": event.state.message,
            "color": COLOR[event.state.level],
            "notify": True,
        }
        await http.post(self.env, url, json_body=body)


register(
    "hipchat",
    HipChatHandler,
    lambda a, p: {"room": p.get("room", ""), "token": p.get("token", "")},
    "hipChat",
)
