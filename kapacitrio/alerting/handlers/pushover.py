"""The `pushover` handler: a form POST to Pushover's messages API."""

from __future__ import annotations

from typing import Any

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import define
from kapacitrio.alerting.handlers.base import HandlerFailed
from kapacitrio.alerting.handlers.http import HTTPRequest
from kapacitrio.alerting.handlers.kind import Ctx, Kind, Tick, config_section
from kapacitrio.alerting.handlers.options import Opt, Table, Values
from kapacitrio.alerting.handlers.services_common import first

PRIORITY = {levels.OK: -2, levels.INFO: -1, levels.WARNING: 0, levels.CRITICAL: 1}

PushoverConfig = config_section(
    "pushover",
    "PushoverConfig",
    "`[pushover]`: a Pushover application.",
    {
        "enabled": False,
        "token": "",
        "user_key": "",
        "url": "https://api.pushover.net/1/messages.json",
    },
    secrets=("token", "user_key"),
)

TABLE = Table(
    "*pushover.HandlerConfig",
    (
        Opt("user-key"),
        Opt("device"),
        Opt("title"),
        Opt("url", tick="uRL"),
        Opt("url-title", tick="uRLTitle"),
        Opt("sound"),
    ),
)

#: form field of each option, in the order the form is written
FORM = (("device", "device"), ("title", "title"), ("url", "url"))
FORM += (("url-title", "url_title"), ("sound", "sound"))


def request(o: Values, event: Event, ctx: Ctx) -> HTTPRequest:
    user = first(o["user-key"], ctx.cfg("user_key", ""))
    token = ctx.cfg("token", "")
    if not token or not user:
        raise HandlerFailed("pushover: token and user-key are required")
    form: dict[str, Any] = {"token": token, "user": user, "message": event.state.message}
    form.update({field: o[opt] for opt, field in FORM if o[opt]})
    form["priority"] = str(PRIORITY[event.state.level])
    return HTTPRequest(ctx.cfg("url", ""), form=form)


define(Kind("pushover", TABLE, request, Tick("pushover", "PushoverHandler"), section="pushover"))
