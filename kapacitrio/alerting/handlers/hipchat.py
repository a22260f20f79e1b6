"""The `hipchat` handler: a room notification through HipChat's v2 API."""

from __future__ import annotations

import urllib.parse

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import define
from kapacitrio.alerting.handlers.base import HandlerFailed
from kapacitrio.alerting.handlers.http import HTTPRequest
from kapacitrio.alerting.handlers.kind import SERVICE_KEYS, Ctx, Kind, Tick, config_section
from kapacitrio.alerting.handlers.options import Opt, Table, Values
from kapacitrio.alerting.handlers.services_common import first

COLOR = {levels.OK: "green", levels.INFO: "green", levels.WARNING: "yellow", levels.CRITICAL: "red"}

HipChatConfig = config_section(
    "hipchat",
    "HipChatConfig",
    "`[hipchat]`: a HipChat server.",
    {"enabled": False, "url": "", "room": "", "token": "", **SERVICE_KEYS},
    secrets=("token",),
)

TABLE = Table("*hipchat.HandlerConfig", (Opt("room"), Opt("token")))


def request(o: Values, event: Event, ctx: Ctx) -> HTTPRequest:
    room = first(o["room"], ctx.cfg("room", ""))
    token = first(o["token"], ctx.cfg("token", ""))
    if not room or not token:
        raise HandlerFailed("hipchat: room and token are required")
    url = (
        f"{ctx.cfg('url', '').rstrip('/')}/{urllib.parse.quote(room, safe='')}"
        f"/notification?auth_token={urllib.parse.quote(token, safe='')}"
    )
    body = {
        "from": "kapacitor",
        "message": event.state.message,
        "color": COLOR[event.state.level],
        "notify": True,
    }
    return HTTPRequest(url, json=body)


define(Kind("hipchat", TABLE, request, Tick("hipChat", "HipChatHandler"), section="hipchat"))
