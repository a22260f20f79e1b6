"""A UDF agent's state moves with its task: the task's node snapshot asks the agent for its
snapshot (the UDF protocol's request) and a fresh run's agent is restored from it before its
first point, so a moving average goes on over the same window."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import trio

from kapacitrio.engine.clock import TrioClock
from kapacitrio.engine.taskmaster import open_taskmaster
from kapacitrio.udf.service import UDFService
from tests.engine.helpers import T0, S
from tests.engine.recording import SEEN, recorded
from tests.udf.test_service import _fn

SCRIPT = """stream|from().measurement('cpu').groupBy('host')
    @movingAvg().field('value').size(4).as('avg')"""
WRITES = [
    "\n".join(f"cpu,host=h{h} value={(i * 7 + h * 3) % 10}.5 {T0 + i * S}" for h in range(2))
    for i in range(12)
]


async def _run(svc: UDFService, run: str, writes: list[str], state: Any = None, snap: bool = False):
    """The task over `writes`, restored from `state` first; with `snap`, its snapshot after."""
    SEEN[run] = []
    services = SimpleNamespace(extra={"udfs": svc})
    async with open_taskmaster(TrioClock(T0), services) as tm:
        await tm.start_task(run, recorded(SCRIPT, udfs=svc.infos()), [("db", "rp")])
        if state is not None:
            assert tm.restore_task(run, state) == 1
        for body in writes:
            await tm.write("db", "rp", "n", body)
        with trio.fail_after(20):  # the agent answers each point with one
            while len(SEEN[run]) < 2 * len(writes):
                await trio.sleep(0.01)
        out = None
        if snap:
            assert tm.stateful(run)
            out = json.loads(json.dumps(await tm.snapshot_task(run, 10.0)))
        await tm.stop_task(run)
    return out


async def test_a_moving_average_agent_goes_on_after_a_handover() -> None:
    svc = UDFService(None, {"movingAvg": _fn("movingAvg", "moving_avg")})
    await svc.load_infos()
    await _run(svc, "whole", WRITES)
    state = await _run(svc, "first", WRITES[:5], snap=True)
    (item,) = state.values()
    assert item["kind"] == "movingAvg" and item["state"]
    await _run(svc, "second", WRITES[5:], state=state)
    await _run(svc, "fresh", WRITES[5:])
    assert SEEN["first"] + SEEN["second"] == SEEN["whole"]
    assert SEEN["first"] + SEEN["fresh"] != SEEN["whole"]  # the agent's windows made the difference


async def test_a_snapshot_not_yet_given_to_the_agent_is_the_state() -> None:
    """A task moved twice before any point arrives hands the first snapshot on unchanged."""
    svc = UDFService(None, {"movingAvg": _fn("movingAvg", "moving_avg")})
    await svc.load_infos()
    state = await _run(svc, "first", WRITES[:5], snap=True)
    again = await _run(svc, "idle", [], state=state, snap=True)
    assert again == state
