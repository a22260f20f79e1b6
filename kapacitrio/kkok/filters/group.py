"""The group filter: merges matching alerts per key into one alert holding them in `Sub`."""

from __future__ import annotations

import json
from typing import Any

from kapacitrio.kkok.alert import Alert
from kapacitrio.kkok.filters.base import Filter, register_filter
from kapacitrio.kkok.params import Params

DEFAULT_TITLE = "merged alert"


@register_filter("group")
class GroupFilter(Filter):
    """Groups selected alerts by the `by` expression; each group of two or more becomes one alert."""

    def configure(self, params: Params) -> None:
        self.by_source = params.str("by")
        self.by = self.env.js.expression(self.by_source) if self.by_source else None
        self.from_ = params.str("from")
        self.title = params.str("title")
        self.message = params.str("message")
        self.routes = params.str_list("routes")

    def own_params(self) -> dict[str, Any]:
        doc: dict[str, Any] = {}
        for key, value in (
            ("by", self.by_source),
            ("from", self.from_),
            ("title", self.title),
            ("message", self.message),
            ("routes", self.routes),
        ):
            if value:
                doc[key] = value
        return doc

    def _key(self, alert: Alert) -> str:
        if self.by is None:
            return ""
        return json.dumps(self.by.eval_alert(alert), sort_keys=True)

    async def process(self, alerts: list[Alert]) -> list[Alert]:
        flags = await self.selected(alerts)
        passed: list[Alert] = []
        groups: dict[str, list[Alert]] = {}
        for alert, chosen in zip(alerts, flags, strict=True):
            if chosen:
                groups.setdefault(self._key(alert), []).append(alert)
            else:
                passed.append(alert)
        return passed + [self._merge(members) for members in groups.values()]

    def _merge(self, members: list[Alert]) -> Alert:
        first = members[0]
        if len(members) == 1:
            return first

        def shared(attr: str, fallback: str) -> str:
            value = getattr(first, attr)
            return value if all(getattr(m, attr) == value for m in members) else fallback

        return Alert(
            from_=shared("from_", self.from_ or f"filter:{self.id}"),
            title=shared("title", self.title or DEFAULT_TITLE),
            date=self.env.clock.now(),
            host=shared("host", "localhost"),
            message=shared("message", self.message),
            routes=list(self.routes),
            info={},
            sub=list(members),
        )
