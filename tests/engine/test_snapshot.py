"""Node state snapshots: a task stopped, snapshotted and restored into a fresh one goes on as if
it had never stopped (windows emit the same batches, a flapping alert stays quiet)."""

from __future__ import annotations

import json
from typing import Any

import trio
import trio.testing

from kapacitrio.engine.clock import TrioClock
from kapacitrio.engine.taskmaster import open_taskmaster
from tests.engine.helpers import T0, S
from tests.engine.recording import SEEN, recorded


async def _run(
    script: str, task_id: str, writes: list[str], state: dict | None = None, snap: bool = False
) -> dict | None:
    """Run the task over `writes` (one write each); with `state`, restored first. With `snap`,
    returns the node snapshots after the last write (through JSON, as a checkpoint stores them)."""
    SEEN[task_id] = []
    async with open_taskmaster(TrioClock(T0)) as tm:
        await tm.start_task(task_id, recorded(script), [("db", "rp")])
        if state is not None:
            assert tm.restore_task(task_id, state) >= 1
        for body in writes:
            await tm.write("db", "rp", "n", body)
        out = None
        if snap:
            assert tm.stateful(task_id)
            out = json.loads(json.dumps(await tm.snapshot_task(task_id, 5.0)))
        await trio.testing.wait_all_tasks_blocked()
        await tm.stop_task(task_id, drain=False)
    return out


async def _check_continuity(script: str, writes: list[str], split: int) -> None:
    await _run(script, "whole", writes)
    state = await _run(script, "first", writes[:split], snap=True)
    assert state
    await _run(script, "second", writes[split:], state=state)
    await _run(script, "fresh", writes[split:])
    assert SEEN["whole"], "the uninterrupted task emitted nothing"
    assert SEEN["first"] + SEEN["second"] == SEEN["whole"]
    # the state made the difference: without it the second half comes out otherwise
    assert SEEN["first"] + SEEN["fresh"] != SEEN["whole"]


def _points(n: int, hosts: int, value: Any) -> list[str]:
    """One write per second of time: a point per host."""
    return [
        "\n".join(f"cpu,host=h{h} value={value(i, h)} {T0 + i * S + h}" for h in range(hosts))
        for i in range(n)
    ]


async def test_time_window_continues_across_a_snapshot(autojump_clock) -> None:
    script = """stream|from().measurement('cpu').groupBy('host')
        |window().period(10s).every(4s)"""
    await _check_continuity(script, _points(30, 3, lambda i, h: i * 10 + h), split=13)


async def test_time_window_without_every_continues(autojump_clock) -> None:
    script = """stream|from().measurement('cpu').groupBy('host')
        |window().period(5s).every(0s)"""
    writes = _points(12, 2, lambda i, h: float(i) + h / 2)
    await _check_continuity(script, writes, split=7)


async def test_count_window_continues_across_a_snapshot(autojump_clock) -> None:
    script = """stream|from().measurement('cpu').groupBy('host')
        |window().periodCount(5).everyCount(3)"""
    await _check_continuity(script, _points(20, 2, lambda i, h: i), split=8)


async def test_flapping_alert_stays_quiet_after_a_snapshot(autojump_clock) -> None:
    script = """stream|from().measurement('cpu').groupBy('host')
        |alert().crit(lambda: "value" > 5).flapping(0.25, 0.5).history(8)"""
    # alternating levels make the group flap; at the split its change rate is between the low
    # and high marks, so only the flag itself (not the history) says it is still flapping
    values = [0, 9, 0, 9, 0, 9, 0, 9, 9, 9, 9, 9, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 9, 9]
    await _check_continuity(script, _points(len(values), 2, lambda i, h: values[i]), split=13)


async def test_state_changes_only_alert_keeps_its_bookkeeping(autojump_clock) -> None:
    script = """stream|from().measurement('cpu').groupBy('host')
        |alert().crit(lambda: "value" > 5).stateChangesOnly(5s)"""
    values = [9, 9, 9, 0, 9, 9, 9, 9, 9, 9, 9, 0, 0]
    await _check_continuity(script, _points(len(values), 1, lambda i, h: values[i]), split=5)


async def test_derivative_and_change_detect_continue_across_a_snapshot(autojump_clock) -> None:
    script = """stream|from().measurement('cpu').groupBy('host')
        |changeDetect('value')
        |derivative('value').unit(1s)"""
    values = [1, 1, 3, 3, 3, 3, 7, 2, 2, 9, 9, 4]  # at the split, no change: nothing passes
    await _check_continuity(script, _points(len(values), 2, lambda i, h: values[i] + h), split=5)


async def test_a_snapshot_that_does_not_fit_is_left_out(autojump_clock) -> None:
    script = """stream|from().measurement('cpu').groupBy('host')
        |window().period(10s).every(4s)"""
    state = await _run(script, "first", _points(3, 1, lambda i, h: i), snap=True)
    assert state
    (item,) = state.values()
    item["state"]["count"] = True  # as if the window had become a count window
    SEEN["redefined"] = []
    async with open_taskmaster(TrioClock(T0)) as tm:
        await tm.start_task("redefined", recorded(script), [("db", "rp")])
        assert tm.restore_task("redefined", state) == 0
        assert tm.task_info("redefined")["stats"]["window2"]["working_cardinality"] == 0
        await tm.stop_task("redefined", drain=False)


async def test_alert_groups_only_ever_ok_are_left_out_of_the_snapshot(autojump_clock) -> None:
    script = """stream|from().measurement('cpu').groupBy('host')
        |alert().crit(lambda: "value" > 5)"""
    state = await _run(script, "first", _points(3, 50, lambda i, h: 9 if h == 7 else 0), snap=True)
    assert state
    (item,) = state.values()
    assert list(item["state"]) == ["host=h7"]
