"""The freq filter: counts alerts per class over a sliding window into `Stats[key]`."""

from __future__ import annotations

import collections
import json
from typing import Any

from kapacitrio.kkok.alert import Alert
from kapacitrio.kkok.errors import KkokError
from kapacitrio.kkok.filters.base import Filter, register_filter
from kapacitrio.kkok.params import Params

NS = 1_000_000_000


@register_filter("freq")
class FreqFilter(Filter):
    """Sets `Stats[key]` to (alerts of the same class within `duration`) / `divisor`."""

    def configure(self, params: Params) -> None:
        self.duration = params.int("duration", 600, minimum=1)
        self.divisor = params.float("divisor", 10.0)
        if self.divisor == 0:
            raise KkokError(f"filter {self.id}: divisor must not be zero")
        self.foreach_source = params.str("foreach")
        self.foreach = self.env.js.expression(self.foreach_source) if self.foreach_source else None
        self.key = params.str("key")
        self._samples: dict[str, collections.deque[int]] = {}

    def own_params(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"duration": self.duration, "divisor": self.divisor}
        if self.foreach_source:
            doc["foreach"] = self.foreach_source
        if self.key:
            doc["key"] = self.key
        return doc

    def _class_of(self, alert: Alert) -> str:
        if self.foreach is None:
            return ""
        return json.dumps(self.foreach.eval_alert(alert), sort_keys=True)

    async def apply_one(self, alert: Alert) -> list[Alert]:
        now = self.env.clock.now()
        sample = self._samples.setdefault(self._class_of(alert), collections.deque())
        sample.append(now)
        horizon = now - self.duration * NS
        while sample and sample[0] <= horizon:
            sample.popleft()
        alert.stats[self.key or self.id] = len(sample) / self.divisor
        return [alert]
