"""The `pushover` handler: a form POST to the Pushover messages API."""

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

PRIORITY = {levels.OK: -2, levels.INFO: -1, levels.WARNING: 0, levels.CRITICAL: 1}


@section("pushover")
@dataclass
class PushoverConfig:
    """`[pushover]`: a Pushover application."""

    enabled: bool = False
    token: str = ""
    user_key: str = ""
    url: str = "https://api.pushover.net/1/messages.json"

    SECRETS = ("token", "user_key")


class PushoverHandler(Handler):
    def __init__(self, options: dict[str, Any], env: HandlerEnv) -> None:
        self.env = env
        self.opts = {
            k: opt_str(options, k)
            for k in ("user-key", "device", "title", "url", "url-title", "sound")
        }

    async def handle(self, event: Event) -> None:
        sec = enabled_section(self.env, "pushover")
        user = first(self.opts["user-key"], section_field(sec, "user_key", ""))
        token = section_field(sec, "token", "")
        if not token or not user:
            raise HandlerFailed("pushover: token and user-key are required")
        form: dict[str, Any] = {"token": token, "user": user, "message": event.state.message}
        for key, name in (
            ("device", "device"),
            ("title", "title"),
            ("url", "url"),
            ("url-title", "url_title"),
            ("sound", "sound"),
        ):
            if self.opts[key]:
                form[name] = self.opts[key]
        form["priority"] = str(PRIORITY[event.state.level])
        await http.post(self.env, section_field(sec, "url", ""), data=form)


def _from_tick(args: list[Any], props: dict[str, Any]) -> dict[str, Any]:
    return {
        "user-key": props.get("userKey", ""),
        "device": props.get("device", ""),
        "title": props.get("title", ""),
        "url": props.get("uRL", ""),
        "url-title": props.get("uRLTitle", ""),
        "sound": props.get("sound", ""),
    }


register("pushover", PushoverHandler, _from_tick)
