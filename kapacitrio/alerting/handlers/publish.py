"""The `publish` handler: re-publishes each event to other topics."""

from __future__ import annotations

from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import define
from kapacitrio.alerting.handlers.base import HandlerEnv
from kapacitrio.alerting.handlers.kind import Call, Ctx, Kind
from kapacitrio.alerting.handlers.options import STRINGS, Opt, Table, Values


def _topics(value: list[str]) -> list[str]:
    if not value:
        raise ValueError("publish handler requires at least one topic")
    return value


TABLE = Table("*alert.PublishHandlerConfig", (Opt("topics", STRINGS, convert=_topics),))


def request(o: Values, event: Event, ctx: Ctx) -> Call:
    async def publish(env: HandlerEnv) -> None:
        if env.service is None:
            return
        for topic in o["topics"]:
            env.service.handle_event(topic, event.copy_to(topic))

    return Call(publish)


define(Kind("publish", TABLE, request, external=False))
