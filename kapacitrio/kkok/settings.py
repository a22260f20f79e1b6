"""The `[kkok]` configuration section."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kapacitrio.config import section


@section("kkok")
@dataclass
class KkokConfig:
    """`[kkok]`: the alert router (pool intervals, API token and listener, static filters, routes)."""

    enabled: bool = True
    #: A listener serving only the kkok API (kkok's own default is `:19898`); empty: none.
    bind_address: str = ""
    #: When set, every API call but `GET /version` needs `Authorization: Bearer TOKEN`.
    api_token: str = ""
    initial_interval: int = 30
    max_interval: int = 30
    #: Seconds one JavaScript evaluation may run.
    js_time_limit: float = 1.0
    #: Static filters (`[[kkok.filters]]` tables with `id` and `type`), run first in this order.
    filters: list[dict[str, Any]] = field(default_factory=list)
    #: Routes defined in the file: `[kkok.routes]` with `ID = [{type = "...", ...}, ...]`.
    routes: dict[str, Any] = field(default_factory=dict)
    #: Alert sources: `[[kkok.sources]]` tables, e.g. `type = "maildir"`, `dir`, `interval`.
    sources: list[dict[str, Any]] = field(default_factory=list)

    SECRETS = ("api_token",)
    #: Secrets that authenticate callers: only an authenticated admin may override them.
    AUTH_SECRETS = ("api_token",)

    def validate(self) -> None:
        if self.initial_interval <= 0:
            raise ValueError("initial_interval must be positive")
        if self.max_interval < self.initial_interval:
            raise ValueError("max_interval must be at least initial_interval")
        if self.js_time_limit <= 0:
            raise ValueError("js_time_limit must be positive")
        for f in self.filters:
            if not isinstance(f, dict) or not isinstance(f.get("id"), str):
                raise ValueError("each [[kkok.filters]] entry needs a string id")
        self._check_definitions()

    def _check_definitions(self) -> None:
        """Build the static filters, routes and sources once, so a mistake stops startup cleanly."""
        from kapacitrio.kkok.errors import KkokError
        from kapacitrio.kkok.router import Router
        from kapacitrio.kkok.sources import make_source

        router = Router(js_time_limit=self.js_time_limit)
        try:
            for params in self.filters:
                router.add_static_filter(params)
            for rid, spec in self.routes.items():
                router.add_static_route(rid, spec)
            for spec in self.sources:
                make_source(spec, router)
        except KkokError as exc:
            raise ValueError(str(exc)) from None
