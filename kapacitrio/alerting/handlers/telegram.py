"""The `telegram` handler: a bot's sendMessage call."""

from __future__ import annotations

from typing import Any

from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import define
from kapacitrio.alerting.handlers.base import HandlerFailed
from kapacitrio.alerting.handlers.http import HTTPRequest
from kapacitrio.alerting.handlers.kind import SERVICE_KEYS, Ctx, Kind, Tick, config_section
from kapacitrio.alerting.handlers.options import BOOL, Opt, Table, Values
from kapacitrio.alerting.handlers.services_common import first

TelegramConfig = config_section(
    "telegram",
    "TelegramConfig",
    "`[telegram]`: a Telegram bot.",
    {
        "enabled": False,
        "url": "https://api.telegram.org/bot",
        "token": "",
        "chat_id": "",
        "parse_mode": "",
        "disable_web_page_preview": False,
        "disable_notification": False,
        **{k: v for k, v in SERVICE_KEYS.items() if k != "enabled"},
    },
    secrets=("token",),
)


def _parse_mode(value: str) -> str:
    if value and value.lower() not in ("markdown", "html"):
        raise ValueError(f"invalid parse mode {value!r}: use Markdown or HTML")
    return value


TABLE = Table(
    "*telegram.HandlerConfig",
    (
        Opt("chat-id", tick="chatId"),
        Opt("parse-mode", convert=_parse_mode),
        Opt("disable-web-page-preview", BOOL, tick="disableWebPagePreview"),
        Opt("disable-notification", BOOL),
    ),
)


def request(o: Values, event: Event, ctx: Ctx) -> HTTPRequest:
    token = ctx.cfg("token", "")
    chat = first(o["chat-id"], ctx.cfg("chat_id", ""))
    if not token or not chat:
        raise HandlerFailed("telegram: token and chat-id are required")
    body: dict[str, Any] = {"chat_id": chat, "text": event.state.message}
    mode = first(o["parse-mode"], ctx.cfg("parse_mode", ""))
    if mode:
        body["parse_mode"] = mode
    if o["disable-web-page-preview"] or ctx.cfg("disable_web_page_preview", False):
        body["disable_web_page_preview"] = True
    if o["disable-notification"] or ctx.cfg("disable_notification", False):
        body["disable_notification"] = True
    return HTTPRequest(f"{ctx.cfg('url', '')}{token}/sendMessage", json=body)


define(Kind("telegram", TABLE, request, Tick("telegram", "TelegramHandler"), section="telegram"))
