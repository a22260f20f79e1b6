"""Clocks: the virtual clock wakes sleepers when moved; TrioClock follows MockClock."""

from __future__ import annotations

import trio
import trio.testing

from kapacitrio.engine.clock import TrioClock, VirtualClock


async def test_virtual_clock_wakes_sleepers_in_order() -> None:
    clock = VirtualClock(100)
    woke: list[int] = []

    async def sleeper(t: int) -> None:
        await clock.sleep_until(t)
        woke.append(clock.now())

    async with trio.open_nursery() as n:
        for t in (300, 200, 500):
            n.start_soon(sleeper, t)
        await trio.testing.wait_all_tasks_blocked()
        assert woke == []
        clock.advance_to(250)
        await trio.testing.wait_all_tasks_blocked()
        assert woke == [250]
        clock.advance_to(50)  # never backwards
        assert clock.now() == 250
        clock.advance(1000)
    assert sorted(woke) == [250, 1250, 1250]


async def test_sleep_in_the_past_returns() -> None:
    clock = VirtualClock(10)
    await clock.sleep_until(5)
    assert clock.next_deadline is None


async def test_trio_clock_under_mock_clock(autojump_clock: trio.testing.MockClock) -> None:
    clock = TrioClock(1_000_000_000_000)
    start = clock.now()
    await clock.sleep_until(start + 60 * 10**9)
    assert clock.now() - start >= 60 * 10**9
