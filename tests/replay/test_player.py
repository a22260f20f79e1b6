"""The replay player: private task instance, fast and real clocks, time shifting, batches."""

from __future__ import annotations

import pytest
import trio

from kapacitrio.models.point import Batch, BatchPoint, Dimensions, Point
from kapacitrio.pipeline.build import compile_task
from kapacitrio.replay.player import MemoryBlocks, Player, ReplayFailed

S = 1_000_000_000
T0 = 1_600_000_000 * S
NOW = 1_700_000_000 * S

STREAM = """stream
    |from()
        .measurement('cpu')
    |alert()
        .crit(lambda: "value" > 80)
        .id('cpu')
    |httpOut('out')
"""


def cpu_points(values, step=S, db="db", rp="rp"):
    return [
        Point("cpu", {"host": "a"}, {"value": float(v)}, T0 + i * step, db, rp)
        for i, v in enumerate(values)
    ]


def player(script=STREAM, typ="stream", **kw) -> Player:
    kw.setdefault("now", lambda: NOW)
    return Player("t", compile_task(script, typ), [("db", "rp")], None, **kw)


async def test_fast_replay_runs_the_task_and_reports_stats(autojump_clock) -> None:
    p = player()
    start = trio.current_time()
    stats = await p.play_stream(MemoryBlocks(cpu_points([10, 90, 20, 95])))
    nodes = stats["node-stats"]
    assert nodes["from1"]["emitted"] == 4
    assert nodes["alert2"]["crits_triggered"] == 2
    assert nodes["alert2"]["oks_triggered"] == 1
    assert stats["task-stats"] == {"throughput": 0.0}
    assert p.progress == 1.0
    assert trio.current_time() == start  # nothing slept
    assert not p.task.executing


async def test_points_of_other_dbrps_and_measurements_are_not_delivered() -> None:
    p = player()
    data = (
        cpu_points([10, 20])
        + cpu_points([90], db="other")
        + [Point("mem", {}, {"value": 99.0}, T0 + 5 * S, "db", "rp")]
    )
    stats = await p.play_stream(MemoryBlocks(data))
    assert stats["node-stats"]["stream0"]["collected"] == 2


async def test_times_shift_to_now_unless_recording_time() -> None:
    shifted = player()
    await shifted.play_stream(MemoryBlocks(cpu_points([90])))
    kept = player(recording_time=True)
    await kept.play_stream(MemoryBlocks(cpu_points([90])))

    def out_time(p):
        (series,) = p.task.ctx.http_out["out"].result()["series"]
        return series["values"][0][0]

    from kapacitrio.models.timefmt import format_rfc3339

    assert out_time(shifted) == format_rfc3339(NOW)
    assert out_time(kept) == format_rfc3339(T0)


async def test_real_clock_sleeps_the_gaps_in_the_data(autojump_clock) -> None:
    p = player(clock="real", recording_time=True)
    start = trio.current_time()
    stats = await p.play_stream(MemoryBlocks(cpu_points([10, 20, 30], step=60 * S)))
    assert trio.current_time() - start == pytest.approx(120.0)
    assert stats["node-stats"]["from1"]["emitted"] == 3


async def test_fast_clock_never_sleeps_even_with_long_gaps(autojump_clock) -> None:
    p = player()
    start = trio.current_time()
    await p.play_stream(MemoryBlocks(cpu_points([10, 20, 30], step=3600 * S)))
    assert trio.current_time() == start


async def test_real_clock_progress_is_visible_while_running(autojump_clock) -> None:
    p = player(clock="real")
    seen = []
    async with trio.open_nursery() as nursery:
        nursery.start_soon(p.play_stream, MemoryBlocks(cpu_points([10, 20], step=100 * S)))
        await trio.sleep(50)
        seen.append((p.task.executing, p.progress))
    assert seen[0][0] is True and seen[0][1] < 1.0
    assert p.progress == 1.0


async def test_a_task_that_cannot_start_fails_the_replay(monkeypatch) -> None:
    from kapacitrio.engine.taskmaster import TaskMaster, TaskStartError

    async def refuse(self, *args):
        raise TaskStartError("no room")

    monkeypatch.setattr(TaskMaster, "start_task", refuse)
    with pytest.raises(ReplayFailed, match="^task start: no room$"):
        await player().play_stream(MemoryBlocks(cpu_points([1])))


async def test_a_task_that_fails_while_running_fails_the_replay(monkeypatch) -> None:
    from kapacitrio.engine.nodes.alert import AlertNode

    def boom(self, p, parent):
        raise RuntimeError("kaput")

    monkeypatch.setattr(AlertNode, "point", boom)
    with pytest.raises(ReplayFailed, match="^task run: alert2: RuntimeError: kaput$"):
        await player().play_stream(MemoryBlocks(cpu_points([1, 2])))


BATCH = """batch
    |query('SELECT mean(v) AS v FROM db.rp.m')
        .period(1m)
        .every(1m)
    |httpOut('out')
"""


def batch(t, v):
    return Batch("m", {}, t, [BatchPoint(t - S, {"v": float(v)}, {})], "", Dimensions())


async def test_batches_are_fed_to_the_query_nodes_in_time_order() -> None:
    p = player(BATCH, "batch", recording_time=True)
    stats = await p.play_batches([[batch(T0 + 60 * S, 1), batch(T0 + 120 * S, 2)]])
    assert stats["node-stats"]["query1"]["emitted"] == 2
    (series,) = p.task.ctx.http_out["out"].result()["series"]
    assert series["values"][0][1] == 2.0  # the last batch is what httpOut holds


async def test_batches_for_more_sources_than_the_task_has_fail() -> None:
    p = player(BATCH, "batch")
    with pytest.raises(ReplayFailed, match="2 batch sources"):
        await p.play_batches([[batch(T0, 1)], [batch(T0, 2)]])


async def test_batch_replay_on_real_clock_waits_between_batches(autojump_clock) -> None:
    p = player(BATCH, "batch", clock="real")
    start = trio.current_time()
    await p.play_batches([[batch(T0 + 60 * S, 1), batch(T0 + 360 * S, 2)]])
    assert trio.current_time() - start == pytest.approx(300.0)


JOIN = """var a = batch|query('SELECT v FROM db.rp.a').period(1m).every(1m)
var b = batch|query('SELECT v FROM db.rp.b').period(1m).every(1m)
a|httpOut('a')
b|httpOut('b')
"""


async def test_each_batch_source_is_shifted_on_its_own_and_empty_batches_drop() -> None:
    p = player(JOIN, "batch")
    empty = Batch("a", {}, T0, [], "", Dimensions())
    late_tmax = Batch(
        "b", {}, T0 + 10_000 * S, [BatchPoint(T0 + 500 * S, {"v": 2.0}, {})], "", Dimensions()
    )
    stats = await p.play_batches([[empty, batch(T0 + 60 * S, 1)], [late_tmax]])
    nodes = stats["node-stats"]
    # the empty batch never came: one batch reached each source
    assert nodes["query1"]["batches_queried"] == nodes["query2"]["batches_queried"] == 1

    from kapacitrio.models.timefmt import format_rfc3339

    def out(name):
        (series,) = p.task.ctx.http_out[name].result()["series"]
        return series["values"][0][0]

    # both sources start at now, although b's data is 441s later than a's
    assert out("a") == format_rfc3339(NOW)
    assert out("b") == format_rfc3339(NOW)
