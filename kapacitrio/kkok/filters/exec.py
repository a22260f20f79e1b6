"""The exec filter: pipes alerts as JSON through a command and takes its JSON output instead."""

from __future__ import annotations

import json
from typing import Any

from kapacitrio.kkok.alert import Alert, alert_from_json
from kapacitrio.kkok.command import run_command
from kapacitrio.kkok.errors import KkokError
from kapacitrio.kkok.filters.base import Filter, register_filter
from kapacitrio.kkok.params import Params


@register_filter("exec")
class ExecFilter(Filter):
    """Replaces selected alerts (one by one, or the array with `all`) by the command's output."""

    def configure(self, params: Params) -> None:
        self.command = params.command("command", required=True)
        self.timeout = params.int("timeout", 5)

    def own_params(self) -> dict[str, Any]:
        return {"command": self.command, "timeout": self.timeout}

    async def _run(self, payload: Any) -> Any:
        result = await run_command(self.command, payload, self.timeout)
        if not result.ok:
            raise KkokError(f"filter {self.id}: {result.error}")
        try:
            return json.loads(result.stdout)
        except ValueError as exc:
            raise KkokError(f"filter {self.id}: command output is not JSON: {exc}") from None

    def _parse(self, doc: Any, now_ns: int) -> Alert:
        try:
            return alert_from_json(doc, now_ns=now_ns)
        except KkokError as exc:
            raise KkokError(f"filter {self.id}: command output: {exc}") from None

    async def apply_one(self, alert: Alert) -> list[Alert]:
        out = self._parse(await self._run(alert.to_json()), alert.date)
        out.stats = dict(alert.stats)
        return [out]

    async def process(self, alerts: list[Alert]) -> list[Alert]:
        if not self.all:
            return await super().process(alerts)
        if not await self.matches_all(alerts):
            return alerts
        docs = await self._run([a.to_json() for a in alerts])
        if not isinstance(docs, list):
            raise KkokError(f"filter {self.id}: command output must be a JSON array of alerts")
        now = self.env.clock.now()
        return [self._parse(d, now) for d in docs]
