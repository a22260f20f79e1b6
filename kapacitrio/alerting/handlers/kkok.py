"""The `kkok` handler kind: each alert event becomes a kkok alert pooled in the server's router."""

from __future__ import annotations

from typing import Any

from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import register
from kapacitrio.alerting.handlers.base import (
    Handler,
    HandlerEnv,
    HandlerFailed,
    HandlerOptionError,
    opt_list,
    opt_str,
)

OPTIONS = {"routes", "from"}


class KkokHandler(Handler):
    """Pools a kkok alert per event (From `kapacitor/<task>`, optional preset `routes`)."""

    def __init__(self, options: dict[str, Any], env: HandlerEnv) -> None:
        unknown = sorted(set(options) - OPTIONS)
        if unknown:
            raise HandlerOptionError(f"unknown kkok handler option {unknown[0]!r}")
        self.routes = opt_list(options, "routes")
        self.from_ = opt_str(options, "from")
        if len(self.from_) > 100 or "\n" in self.from_:
            raise HandlerOptionError(
                "kkok handler option 'from' must be one line of at most 100 characters"
            )
        self.env = env

    async def handle(self, event: Event) -> None:
        from kapacitrio.kkok.service import current_router
        from kapacitrio.kkok.sources.kapacitor import alert_from_event

        router = current_router()
        if router is None:
            raise HandlerFailed("the kkok router is not running")
        await router.add_alert(alert_from_event(event, routes=self.routes, from_=self.from_))


def _from_tick(args: list[Any], props: dict[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if props.get("routes"):
        options["routes"] = list(props["routes"])
    if props.get("from"):
        options["from"] = props["from"]
    return options


register("kkok", KkokHandler, _from_tick)
