"""The `telegram` handler: sendMessage through the Telegram Bot API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import http, register
from kapacitrio.alerting.handlers.base import (
    Handler,
    HandlerEnv,
    HandlerFailed,
    HandlerOptionError,
    opt_bool,
    opt_str,
    section_field,
)
from kapacitrio.alerting.handlers.services_common import enabled_section, first
from kapacitrio.config import section


@section("telegram")
@dataclass
class TelegramConfig:
    """`[telegram]`: a Telegram bot."""

    enabled: bool = False
    url: str = "https://api.telegram.org/bot"
    token: str = ""
    chat_id: str = ""
    parse_mode: str = ""
    disable_web_page_preview: bool = False
    disable_notification: bool = False
    global_: bool = False
    state_changes_only: bool = False

    SECRETS = ("token",)


class TelegramHandler(Handler):
    def __init__(self, options: dict[str, Any], env: HandlerEnv) -> None:
        self.env = env
        self.chat_id = opt_str(options, "chat-id")
        self.parse_mode = opt_str(options, "parse-mode")
        if self.parse_mode and self.parse_mode.lower() not in ("markdown", "html"):
            raise HandlerOptionError(
                f"invalid parse mode {self.parse_mode!r}: use Markdown or HTML"
            )
        self.no_preview = opt_bool(options, "disable-web-page-preview")
        self.no_notification = opt_bool(options, "disable-notification")

    async def handle(self, event: Event) -> None:
        sec = enabled_section(self.env, "telegram")
        token = section_field(sec, "token", "")
        chat = first(self.chat_id, section_field(sec, "chat_id", ""))
        if not token or not chat:
            raise HandlerFailed("telegram: token and chat-id are required")
        body: dict[str, Any] = {"chat_id": chat, "text": event.state.message}
        mode = first(self.parse_mode, section_field(sec, "parse_mode", ""))
        if mode:
            body["parse_mode"] = mode
        if self.no_preview or section_field(sec, "disable_web_page_preview", False):
            body["disable_web_page_preview"] = True
        if self.no_notification or section_field(sec, "disable_notification", False):
            body["disable_notification"] = True
        url = f"{section_field(sec, 'url', '')}{token}/sendMessage"
        await http.post(self.env, url, json_body=body)


def _from_tick(args: list[Any], props: dict[str, Any]) -> dict[str, Any]:
    return {
        "chat-id": props.get("chatId", ""),
        "parse-mode": props.get("parseMode", ""),
        "disable-web-page-preview": bool(props.get("disableWebPagePreview")),
        "disable-notification": bool(props.get("disableNotification")),
    }


register("telegram", TelegramHandler, _from_tick)
