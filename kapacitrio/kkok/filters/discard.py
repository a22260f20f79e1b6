"""The discard filter: drops the alerts it applies to."""

from __future__ import annotations

from kapacitrio.kkok.alert import Alert
from kapacitrio.kkok.filters.base import Filter, register_filter


@register_filter("discard")
class DiscardFilter(Filter):
    """Drops every selected alert."""

    async def apply_one(self, alert: Alert) -> list[Alert]:
        return []
