"""The filter base: common properties (label, disabled, all, if, expire, inactive) and the registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import trio

from kapacitrio.kkok.alert import Alert
from kapacitrio.kkok.clock import Clock
from kapacitrio.kkok.command import run_command
from kapacitrio.kkok.errors import KkokError
from kapacitrio.kkok.js import JSEngine, JSExpression
from kapacitrio.kkok.params import Params, check_id
from kapacitrio.models.timefmt import format_rfc3339

FILTER_TYPES: dict[str, type[Filter]] = {}


@dataclass
class FilterEnv:
    """What filters may use: the JavaScript engine and the clock."""

    js: JSEngine
    clock: Clock


def register_filter(name: str) -> Callable[[type[Filter]], type[Filter]]:
    """Class decorator registering a filter type under `name`."""

    def deco(cls: type[Filter]) -> type[Filter]:
        cls.type_name = name
        FILTER_TYPES[name] = cls
        return cls

    return deco


class Filter:
    """A filter: `process(alerts)` returns the alerts that go on to the next filter."""

    type_name: ClassVar[str] = ""

    def __init__(self, fid: str, params: Params, env: FilterEnv, *, dynamic: bool) -> None:
        self.id = check_id("filter", fid)
        self.env = env
        self.dynamic = dynamic
        self.label = params.str("label")
        self.disabled = params.bool("disabled")
        self.all = params.bool("all")
        self.expire = params.time("expire")
        self.inactive_until = params.time("inactive")
        self._if_source = params.raw("if")
        self._if_js: JSExpression | None = None
        self._if_cmd: list[str] | None = None
        self._parse_if()
        self.configure(params)
        params.finish()

    def _parse_if(self) -> None:
        cond = self._if_source
        if cond is None:
            return
        if isinstance(cond, str):
            self._if_js = self.env.js.expression(cond)
        elif isinstance(cond, list) and cond and all(isinstance(c, str) for c in cond):
            self._if_cmd = list(cond)
        else:
            raise KkokError(
                f"filter {self.id}: if must be a JavaScript string or a non-empty list of strings"
            )

    def configure(self, params: Params) -> None:
        """Read the type's own parameters (subclasses override)."""

    def own_params(self) -> dict[str, Any]:
        """The type's own parameters for GET (subclasses override)."""
        return {}

    def to_json(self, now_ns: int | None = None) -> dict[str, Any]:
        doc: dict[str, Any] = {"type": self.type_name, "id": self.id}
        if self.label:
            doc["label"] = self.label
        doc["disabled"] = self.disabled
        doc["all"] = self.all
        if self._if_source is not None:
            doc["if"] = self._if_source
        if self.expire is not None:
            doc["expire"] = format_rfc3339(self.expire)
        if self.inactive_until is not None and (now_ns is None or self.inactive_until > now_ns):
            doc["inactive"] = format_rfc3339(self.inactive_until)
        doc.update(self.own_params())
        return doc

    # state

    def expired(self, now_ns: int) -> bool:
        return self.expire is not None and now_ns >= self.expire

    def active(self, now_ns: int) -> bool:
        if self.disabled or self.expired(now_ns):
            return False
        return self.inactive_until is None or now_ns >= self.inactive_until

    # conditions

    async def matches(self, alert: Alert) -> bool:
        """Whether the `if` condition holds for one alert."""
        await trio.lowlevel.checkpoint()  # JS runs on the event loop: let others in between
        if self._if_js is not None:
            return bool(self._if_js.eval_alert(alert))
        if self._if_cmd is not None:
            return await self._run_if_command(alert.to_json())
        return True

    async def matches_all(self, alerts: list[Alert]) -> bool:
        """Whether the `if` condition holds for the whole array of alerts."""
        if self._if_js is not None:
            return bool(self._if_js.eval_alerts(alerts))
        if self._if_cmd is not None:
            return await self._run_if_command([a.to_json() for a in alerts])
        return True

    async def _run_if_command(self, payload: Any) -> bool:
        result = await run_command(self._if_cmd or [], payload, timeout=60)
        if result.returncode is None:
            raise KkokError(f"filter {self.id}: {result.error}")
        return result.ok

    async def selected(self, alerts: list[Alert]) -> list[bool]:
        """Per alert, whether this filter applies (with `all`, one verdict for every alert)."""
        if self.all:
            verdict = await self.matches_all(alerts)
            return [verdict] * len(alerts)
        return [await self.matches(a) for a in alerts]

    async def process(self, alerts: list[Alert]) -> list[Alert]:
        """Apply the filter; the default applies `apply_one` to every selected alert."""
        flags = await self.selected(alerts)
        out: list[Alert] = []
        for alert, chosen in zip(alerts, flags, strict=True):
            if chosen:
                out.extend(await self.apply_one(alert))
            else:
                out.append(alert)
        return out

    async def apply_one(self, alert: Alert) -> list[Alert]:
        """What happens to one selected alert: the returned list replaces it."""
        return [alert]
