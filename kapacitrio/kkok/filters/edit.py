"""The edit filter: runs JavaScript code that may change each selected alert."""

from __future__ import annotations

from typing import Any

from kapacitrio.kkok.alert import Alert
from kapacitrio.kkok.filters.base import Filter, register_filter
from kapacitrio.kkok.params import Params


@register_filter("edit")
class EditFilter(Filter):
    """Replaces each selected alert with the result of running `code` on it."""

    def configure(self, params: Params) -> None:
        self.code_source = params.str("code", required=True)
        self.code = self.env.js.code(self.code_source)

    def own_params(self) -> dict[str, Any]:
        return {"code": self.code_source}

    async def apply_one(self, alert: Alert) -> list[Alert]:
        return [self.code.run(alert)]
