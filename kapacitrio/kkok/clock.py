"""Clocks for the router: the wall clock in production, trio's (mockable) clock in tests."""

from __future__ import annotations

import time
from typing import Protocol

import trio

NS = 1_000_000_000


class Clock(Protocol):
    """What the router needs from a clock: the time in ns and a way to wait for a time."""

    def now(self) -> int: ...

    async def sleep_until(self, ns: int) -> None: ...


class WallClock:
    """The real time of day."""

    def now(self) -> int:
        return time.time_ns()

    async def sleep_until(self, ns: int) -> None:
        await trio.sleep(max(0, ns - self.now()) / NS)


class TrioClock:
    """Epoch time `start_ns` at first use, then advancing with trio's clock (so MockClock drives it)."""

    def __init__(self, start_ns: int | None = None) -> None:
        self._base = time.time_ns() if start_ns is None else start_ns
        self._t0: float | None = None

    def _anchor(self) -> float:
        if self._t0 is None:
            self._t0 = trio.current_time()
        return self._t0

    def now(self) -> int:
        return self._base + int((trio.current_time() - self._anchor()) * NS)

    async def sleep_until(self, ns: int) -> None:
        await trio.sleep_until(self._anchor() + (ns - self._base) / NS)
