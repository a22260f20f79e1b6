"""Node snapshots that do not fit (damaged, of another format) leave the node empty with a
warning and the task running; snapshots of nodes driven by a clock or a service carry over."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import trio.testing

from kapacitrio.engine import snapshot
from kapacitrio.engine.clock import TrioClock
from kapacitrio.engine.taskmaster import open_taskmaster
from tests.engine.helpers import T0, S
from tests.engine.recording import SEEN, recorded
from tests.engine.test_snapshot import _points, _run

SCRIPTS = [
    "|window().period(10s).every(4s)",
    '|alert().crit(lambda: sigma("value") > 1.2).flapping(0.25, 0.5)',
    '|where(lambda: sigma("value") > 0.9)',
    '|stateCount(lambda: "value" > 2.0)',
    "|derivative('value')",
    "|changeDetect('value')",
    "|movingAverage('value', 3)",
    "|mean('value')",
    "|sample(3)",
]
FROM = "stream|from().measurement('cpu').groupBy('host')"


def _ints_to_text(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _ints_to_text(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_ints_to_text(v) for v in x]
    return "x" if type(x) in (int, float) else x


def _short_lists(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _short_lists(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_short_lists(v) for v in x[:-1]]
    return x


DAMAGE = {
    "garbage": lambda state: "\x00not a snapshot",
    "nothing": lambda state: None,
    "a list for a mapping": lambda state: [state],
    "numbers as text": _ints_to_text,
    "lists cut short": _short_lists,
}
#: The damages each node's state can take and still be a state it knows: changeDetect keeps
#: values of any kind (text too), some states hold no lists.
KNOWN = {
    "|changeDetect('value')": {"numbers as text", "lists cut short"},
    '|stateCount(lambda: "value" > 2.0)': {"lists cut short"},
    "|sample(3)": {"lists cut short"},
}
CASES = [(chain, d) for chain in SCRIPTS for d in DAMAGE if d not in KNOWN.get(chain, ())]


async def _restored_run(
    script: str, task_id: str, state: Any, writes: list[str]
) -> tuple[int, list[dict], int]:
    """Run the task over `writes` after restoring `state`: (nodes restored, warnings, groups)."""
    SEEN[task_id] = []
    logged: list[dict] = []
    async with open_taskmaster(TrioClock(T0), log_sink=logged.append) as tm:
        await tm.start_task(task_id, recorded(script), [("db", "rp")])
        n = tm.restore_task(task_id, state)
        for body in writes:
            await tm.write("db", "rp", "n", body)
        await trio.testing.wait_all_tasks_blocked()
        await tm.stop_task(task_id, drain=False)
    warnings = [e for e in logged if e["lvl"] == "warn" and "snapshot" in e["msg"]]
    return n, warnings, len(SEEN[task_id])


@pytest.mark.parametrize(("chain", "damage"), CASES)
async def test_a_damaged_snapshot_starts_the_node_empty(chain, damage, autojump_clock) -> None:
    script = FROM + chain
    writes = _points(24, 2, lambda i, h: (i * 7 + h * 3) % 11 + 0.5)
    state = await _run(script, "first", writes[:10], snap=True)
    assert state
    (name,) = state
    state[name]["state"] = DAMAGE[damage](copy.deepcopy(state[name]["state"]))
    await _run(script, "fresh", writes[10:])
    n, warnings, _ = await _restored_run(script, "damaged", state, writes[10:])
    assert n == 0
    assert [w["node"] for w in warnings] == [name]
    assert SEEN["damaged"] == SEEN["fresh"]  # as a fresh task: nothing half restored


async def test_a_snapshot_of_another_format_is_left_out(autojump_clock) -> None:
    script = FROM + "|window().period(10s).every(4s)"
    writes = _points(12, 2, lambda i, h: i)
    state = await _run(script, "first", writes[:5], snap=True)
    (item,) = state.values()
    assert item["v"] == snapshot.FORMAT
    item["v"] = snapshot.FORMAT + 1  # written by a newer version
    n, warnings, _ = await _restored_run(script, "newer", state, writes[5:])
    assert n == 0 and "another format" in warnings[0]["msg"]
    del item["v"]  # written before formats were numbered: format 1, which this one reads
    n, warnings, _ = await _restored_run(script, "older", state, writes[5:])
    assert n == 1 and not warnings


@pytest.mark.parametrize("nodes", [None, [], "x", {"window2": "x"}, {"window2": {"kind": 3}}])
async def test_unreadable_snapshots_restore_nothing(nodes, autojump_clock) -> None:
    script = FROM + "|window().period(10s).every(4s)"
    n, _, seen = await _restored_run(script, "odd", nodes, _points(12, 1, lambda i, h: i))
    assert n == 0 and seen  # the task ran on


async def _snap_and_restore(script: str, writes: list[str], settle: float = 0) -> tuple:
    """A task's snapshot after `writes`, and the snapshot of a fresh task that restored it."""
    async with open_taskmaster(TrioClock(T0)) as tm:
        await tm.start_task("a", recorded(script), [("db", "rp")])
        for body in writes:
            await tm.write("db", "rp", "n", body)
        state = json.loads(json.dumps(await tm.snapshot_task("a", 5.0)))
        await tm.start_task("b", recorded(script), [("db", "rp")])
        assert tm.restore_task("b", state) == len(state)
        again = json.loads(json.dumps(await tm.snapshot_task("b", 5.0)))
        await tm.stop_task("a", drain=False)
        await tm.stop_task("b", drain=False)
    return state, again


async def test_barrier_timers_stats_counts_and_unwritten_lines_carry_over(autojump_clock) -> None:
    script = """var data = stream|from().measurement('cpu').groupBy('host')
        |barrier().idle(30s)
    data|stats(1h)
    data|influxDBOut().database('out').buffer(100).flushInterval(1h)
    data|httpOut('last')"""
    state, again = await _snap_and_restore(script, _points(5, 3, lambda i, h: i + h))
    kinds = {item["kind"] for item in state.values()}
    assert {"barrier", "stats", "influxDBOut", "httpOut"} <= kinds
    assert again == state
    (stats,) = [i["state"] for i in state.values() if i["kind"] == "stats"]
    assert sorted((g, n) for g, n, *_ in stats) == [(f"host=h{h}", 5) for h in range(3)]
    (out,) = [i["state"] for i in state.values() if i["kind"] == "influxDBOut"]
    assert len(out["buffers"]["rp"]) == 15  # nothing written yet: the lines are handed over


IN_FLIGHT = {
    "holtWinters": (
        "|window().period(4s).every(4s)|holtWinters('value', 2, 0, 1s)",
        lambda rt: rt.jobs.append((None, None)),
        lambda rt: rt.jobs.clear(),
    ),
    "httpPost": (
        "|httpPost('http://127.0.0.1:9/').codeField('code')",
        lambda rt: setattr(rt, "_busy", True),
        lambda rt: setattr(rt, "_busy", False),
    ),
    "kapacitorLoopback": (
        "|kapacitorLoopback().database('other').retentionPolicy('rp').measurement('x')",
        lambda rt: rt.pending.append(None),
        lambda rt: rt.pending.clear(),
    ),
}


@pytest.mark.parametrize("kind", list(IN_FLIGHT))
async def test_work_in_flight_keeps_the_task_from_being_idle(kind: str, autojump_clock) -> None:
    chain, start, finish = IN_FLIGHT[kind]
    async with open_taskmaster(TrioClock(T0)) as tm:
        script = "stream|from().measurement('cpu')" + chain
        await tm.start_task("w", recorded(script), [("db", "rp")])
        task = tm.tasks["w"]
        (rt,) = [n.rt for n in task.nodes.values() if n.spec.kind == kind]
        await trio.testing.wait_all_tasks_blocked()
        assert snapshot.quiescent(task) and not rt.keeps_state()
        start(rt)
        assert not snapshot.quiescent(task)
        assert await tm.snapshot_task("w", 1.0) is None  # not idle in time: no snapshot
        finish(rt)
        assert snapshot.quiescent(task)
        await tm.stop_task("w", drain=False)


async def test_a_stateless_lambda_adds_no_state(autojump_clock) -> None:
    async with open_taskmaster(TrioClock(T0)) as tm:
        script = """stream|from().measurement('cpu').where(lambda: "value" > 1)
            |where(lambda: "value" < 9)|eval(lambda: "value" * 2.0).as('v')"""
        await tm.start_task("plain", recorded(script), [])
        assert not tm.stateful("plain")
        await tm.stop_task("plain", drain=False)


async def test_a_snapshot_is_a_copy_that_later_input_leaves_alone(autojump_clock) -> None:
    """A checkpoint is encoded after input has resumed: what was taken must not change."""
    script = """var cpu = stream|from().measurement('cpu').groupBy('host')
    var mem = stream|from().measurement('mem').groupBy('host')
    cpu|join(mem).as('c', 'm')|stateCount(lambda: "c.value" > 2.0)|sample(2)
        |influxDBOut().database('out').buffer(1000).flushInterval(1h)"""
    writes = [
        f"cpu,host=h0 value={i % 5} {T0 + i * S}\nmem,host=h0 v={i} {T0 + (i - 1) * S}"
        for i in range(1, 12)
    ]
    async with open_taskmaster(TrioClock(T0)) as tm:
        await tm.start_task("c", recorded(script), [("db", "rp")])
        for body in writes[:6]:
            await tm.write("db", "rp", "n", body)
        taken = await tm.snapshot_task("c", 5.0)
        assert {i["kind"] for i in taken.values()} == {
            "join",
            "stateCount",
            "sample",
            "influxDBOut",
        }
        frozen = json.dumps(taken, sort_keys=True)
        for body in writes[6:]:
            await tm.write("db", "rp", "n", body)
        later = await tm.snapshot_task("c", 5.0)
        assert json.dumps(later, sort_keys=True) != frozen  # the nodes did go on
        assert json.dumps(taken, sort_keys=True) == frozen
        await tm.stop_task("c", drain=False)
