"""The route filter: adds or replaces routes, optionally muting to other routes after it fires."""

from __future__ import annotations

from typing import Any

from kapacitrio.kkok.alert import Alert
from kapacitrio.kkok.filters.base import Filter, register_filter
from kapacitrio.kkok.params import Params

NS = 1_000_000_000


@register_filter("route")
class RouteFilter(Filter):
    """Sets `routes` on selected alerts; with `auto_mute`, uses `mute_routes` for a while after."""

    def configure(self, params: Params) -> None:
        self.routes = params.str_list("routes")
        self.replace = params.bool("replace")
        self.auto_mute = params.bool("auto_mute")
        self.mute_seconds = params.int("mute_seconds", 60)
        self.mute_routes = params.str_list("mute_routes")
        self.mute_until: int | None = None

    def own_params(self) -> dict[str, Any]:
        return {
            "routes": self.routes,
            "replace": self.replace,
            "auto_mute": self.auto_mute,
            "mute_seconds": self.mute_seconds,
            "mute_routes": self.mute_routes,
        }

    def _current_routes(self) -> list[str]:
        if not self.auto_mute:
            return self.routes
        now = self.env.clock.now()
        if self.mute_until is not None and now < self.mute_until:
            return self.mute_routes
        self.mute_until = now + self.mute_seconds * NS
        return self.routes

    async def apply_one(self, alert: Alert) -> list[Alert]:
        routes = self._current_routes()
        if self.replace:
            alert.routes = list(routes)
        else:
            alert.routes.extend(r for r in routes if r not in alert.routes)
        return [alert]
