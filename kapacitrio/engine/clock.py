"""Clocks the engine waits on: the wall clock in production, virtual clocks under tests and replays."""

from __future__ import annotations

import heapq
import itertools
import time
from typing import Protocol

import trio

NS = 1_000_000_000


class Clock(Protocol):
    """What engine code may ask of time: the current time and a way to wait for a later one."""

    def now(self) -> int:
        """Current time in nanoseconds since the Unix epoch."""
        ...

    async def sleep_until(self, ns: int) -> None:
        """Return once `now() >= ns`."""
        ...


class WallClock:
    """The real time of day."""

    def now(self) -> int:
        return time.time_ns()

    async def sleep_until(self, ns: int) -> None:
        delay = (ns - time.time_ns()) / NS
        if delay > 0:
            await trio.sleep(delay)


class TrioClock:
    """Epoch time derived from Trio's clock, so `trio.testing.MockClock` drives it.

    `now()` is `epoch_ns` plus the Trio time elapsed since the clock was made; sleeping uses
    `trio.sleep_until`, so an autojumping MockClock skips the wait instantly.
    """

    def __init__(self, epoch_ns: int) -> None:
        self._epoch = epoch_ns
        self._t0 = trio.current_time()

    def now(self) -> int:
        return self._epoch + int((trio.current_time() - self._t0) * NS)

    async def sleep_until(self, ns: int) -> None:
        await trio.sleep_until(self._t0 + (ns - self._epoch) / NS)


class VirtualClock:
    """A clock moved only by its owner (`advance_to`): data time in tests and the case runner.

    Sleepers wake, in deadline order, when the clock is advanced past their deadline. Time never
    goes backwards.
    """

    def __init__(self, start_ns: int = 0) -> None:
        self._now = start_ns
        self._sleepers: list[tuple[int, int, trio.Event]] = []
        self._seq = itertools.count()

    def now(self) -> int:
        return self._now

    async def sleep_until(self, ns: int) -> None:
        if ns <= self._now:
            await trio.lowlevel.checkpoint()
            return
        event = trio.Event()
        heapq.heappush(self._sleepers, (ns, next(self._seq), event))
        await event.wait()

    def advance_to(self, ns: int) -> None:
        """Move the clock to `ns` (ignored if earlier) and wake every sleeper now due."""
        if ns > self._now:
            self._now = ns
        while self._sleepers and self._sleepers[0][0] <= self._now:
            heapq.heappop(self._sleepers)[2].set()

    def advance(self, delta_ns: int) -> None:
        """Move the clock forward by `delta_ns`."""
        self.advance_to(self._now + delta_ns)

    @property
    def next_deadline(self) -> int | None:
        """The earliest pending sleeper's deadline, if any."""
        return self._sleepers[0][0] if self._sleepers else None
