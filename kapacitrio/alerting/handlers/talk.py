"""The `talk` handler: a message to a Talk (jianliao) webhook."""

from __future__ import annotations

from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import define
from kapacitrio.alerting.handlers.http import HTTPRequest
from kapacitrio.alerting.handlers.kind import Ctx, Kind, Tick, config_section
from kapacitrio.alerting.handlers.options import Table, Values

TalkConfig = config_section(
    "talk",
    "TalkConfig",
    "`[talk]`: a Talk webhook.",
    {"enabled": False, "url": "", "author_name": "Kapacitor"},
    secrets=("url",),
)

TABLE = Table("*talk.HandlerConfig", ())


def request(o: Values, event: Event, ctx: Ctx) -> HTTPRequest:
    body = {
        "title": event.state.id,
        "text": event.state.message,
        "authorName": ctx.cfg("author_name", "Kapacitor"),
    }
    return HTTPRequest(ctx.cfg("url", ""), json=body)


define(Kind("talk", TABLE, request, Tick("talk", "TalkHandler"), section="talk"))
