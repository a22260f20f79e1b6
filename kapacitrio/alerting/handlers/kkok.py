"""The `kkok` handler kind: each alert event becomes a kkok alert pooled in the server's router."""

from __future__ import annotations

from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import define
from kapacitrio.alerting.handlers.base import HandlerEnv, HandlerFailed
from kapacitrio.alerting.handlers.kind import Call, Ctx, Kind, Tick
from kapacitrio.alerting.handlers.options import STRINGS, Opt, Table, Values


def _from(value: str) -> str:
    if len(value) > 100 or "\n" in value:
        raise ValueError("kkok handler option 'from' must be one line of at most 100 characters")
    return value


TABLE = Table("*kkok.HandlerConfig", (Opt("routes", STRINGS), Opt("from", convert=_from)))


def request(o: Values, event: Event, ctx: Ctx) -> Call:
    async def pool(env: HandlerEnv) -> None:
        from kapacitrio.kkok.service import current_router
        from kapacitrio.kkok.sources.kapacitor import alert_from_event

        router = current_router()
        if router is None:
            raise HandlerFailed("the kkok router is not running")
        await router.add_alert(alert_from_event(event, routes=o["routes"], from_=o["from"]))

    return Call(pool)


define(Kind("kkok", TABLE, request, Tick("kkok", "KkokHandler")))
