"""The `discord` handler: an embed posted to a Discord webhook."""

from __future__ import annotations

from typing import Any

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import define
from kapacitrio.alerting.handlers.http import HTTPRequest
from kapacitrio.alerting.handlers.kind import (
    TLS_KEYS,
    Ctx,
    Kind,
    Tick,
    config_section,
)
from kapacitrio.alerting.handlers.options import BOOL, Opt, Table, Values
from kapacitrio.alerting.handlers.services_common import tls_verify
from kapacitrio.models.timefmt import format_rfc3339

COLOR = {levels.CRITICAL: 0xF95F53, levels.WARNING: 0xF48D38}
OTHER_COLOR = 0x7A65F2

DiscordConfig = config_section(
    "discord",
    "DiscordConfig",
    "`[[discord]]`: one Discord webhook.",
    {
        "enabled": False,
        "default": False,
        "workspace": "",
        "url": "",
        "timestamp": False,
        "username": "",
        "avatar_url": "",
        "embed_title": "",
        "global_": False,
        "state_changes_only": False,
        **TLS_KEYS,
    },
    many=True,
    secrets=("url",),
    element_key="workspace",
)

TABLE = Table(
    "*discord.HandlerConfig",
    (
        Opt("workspace"),
        Opt("timestamp", BOOL),
        Opt("timestamp-str", tick=""),
        Opt("username"),
        Opt("avatar-url", tick="avatarUrl"),
        Opt("embed-title"),
    ),
)


def request(o: Values, event: Event, ctx: Ctx) -> HTTPRequest:
    embed = {
        "color": COLOR.get(event.state.level, OTHER_COLOR),
        "title": o["embed-title"],
        "description": event.state.message,
        "timestamp": _timestamp(o["timestamp"], event.state.time),
    }
    body: dict[str, Any] = {}
    if o["username"]:
        body["username"] = o["username"]
    if o["avatar-url"]:
        body["avatar_url"] = o["avatar-url"]
    body["embeds"] = [embed]
    return HTTPRequest(ctx.cfg("url", ""), json=body, verify=tls_verify(ctx.section))


def _timestamp(on: bool, ns: int) -> str:
    """Go's time.RFC3339 layout: whole seconds."""
    return format_rfc3339(ns - ns % 1_000_000_000) if on else ""


define(
    Kind(
        "discord",
        TABLE,
        request,
        Tick("discord", "DiscordHandler"),
        section="discord",
        section_key="workspace",
        select="workspace",
    )
)
