"""stats (per-group counts of an observed node on the task clock) and kapacitorLoopback."""

from types import SimpleNamespace

import trio

from kapacitrio.engine.clock import TrioClock
from kapacitrio.engine.node import NodeRuntime
from kapacitrio.models.point import DeleteGroup, Point
from kapacitrio.pipeline.spec import NodeSpec
from tests.nodes.helpers import T0, FakeCtx, S, bt, node, pt


class Passthrough(NodeRuntime):
    def point(self, p, parent):
        self.emit(p)

    def batch(self, b, parent):
        self.emit(b)


def stats_node(interval=10 * S, align=False):
    observed = NodeSpec(kind="noOp", desc="noop", id=1, wants="stream", provides="stream")
    ctx = FakeCtx(clock=TrioClock(T0 + 3 * S))
    n = node("stats", [interval], ctx=ctx, observed=observed, align=align)
    watched = Passthrough(observed, ctx)
    n.attach_runtimes({"noop1": watched, "other": Passthrough(observed, ctx)})
    got = []

    async def flusher():
        got.extend(n.out)
        n.out = []

    n._flusher = flusher
    return n, watched, got


async def test_stats_counts_per_group(autojump_clock, nursery):
    n, watched, got = stats_node(align=True)
    nursery.start_soon(n.run_background)
    await trio.sleep(1)
    watched.point(pt(0, {"v": 1}, {"h": "A", "x": "1"}, ("h",)), 0)
    watched.point(pt(1, {"v": 1}, {"h": "A"}, ("h",)), 0)
    watched.batch(bt(2, [(0, {"v": 1}), (1, {"v": 2})], {"h": "B"}, ("h",)), 0)
    assert len(watched.out) == 3  # the runner hands each emitted chunk to the watcher
    watched.watch_output(watched.out)
    await trio.sleep(10)
    assert all(isinstance(p, Point) and p.name == "stats" for p in got)
    assert [(p.tags, p.fields, p.group, p.time) for p in got] == [
        ({"h": "A"}, {"emitted": 2}, "h=A", T0 + 10 * S),
        ({"h": "B"}, {"emitted": 2}, "h=B", T0 + 10 * S),
    ]
    watched.watch_output([DeleteGroup("h=A")])  # a deleted group is no longer reported
    got.clear()
    await trio.sleep(10)
    assert [p.group for p in got] == ["h=B"]


async def test_stats_without_data_reports_the_nil_group(autojump_clock, nursery):
    n, _, got = stats_node(interval=5 * S)
    nursery.start_soon(n.run_background)
    await trio.sleep(11)
    assert [(p.group, p.fields, p.time) for p in got] == [
        ("", {"emitted": 0}, T0 + 8 * S),
        ("", {"emitted": 0}, T0 + 13 * S),
    ]


class FakeTaskMaster:
    def __init__(self, fail=False):
        self.writes = []
        self.fail = fail

    async def write_points(self, db, rp, points):
        if self.fail:
            raise RuntimeError("boom")
        self.writes.append((db, rp, points))


async def test_loopback_writes_points_back(nursery):
    tm = FakeTaskMaster()
    ctx = FakeCtx(services=SimpleNamespace(taskmaster=tm))
    n = node(
        "kapacitorLoopback",
        ctx=ctx,
        database="db2",
        retentionPolicy="rp2",
        measurement="m2",
        tags={"k": "v"},
    )
    nursery.start_soon(n.run_background)
    n.point(pt(0, {"v": 1}, {"h": "A"}, ("h",)), 0)
    n.batch(bt(2, [(1, {"v": 2})], {"h": "B"}, ("h",)), 0)
    for _ in range(100):
        if n.stats["points_written"] == 2:
            break
        await trio.sleep(0.001)
    written = [p for _, _, pts in tm.writes for p in pts]
    assert [(p.name, p.tags, p.fields, p.db, p.rp) for p in written] == [
        ("m2", {"h": "A", "k": "v"}, {"v": 1}, "db2", "rp2"),
        ("m2", {"h": "B", "k": "v"}, {"v": 2}, "db2", "rp2"),
    ]
    assert n.out == []


async def test_loopback_write_failure_is_counted(nursery):
    ctx = FakeCtx(services=SimpleNamespace(taskmaster=FakeTaskMaster(fail=True)))
    n = node(
        "kapacitorLoopback", ctx=ctx, database="d", retentionPolicy="r", measurement="", tags={}
    )
    nursery.start_soon(n.run_background)
    n.point(pt(0, {"v": 1}), 0)
    for _ in range(100):
        if n.stats["write_errors"]:
            break
        await trio.sleep(0.001)
    assert n.stats["write_errors"] == 1 and "boom" in ctx.errors[0][1]


async def test_aligned_stats_tick_on_interval_boundaries(autojump_clock, nursery):
    n, _, got = stats_node(interval=10 * S, align=True)  # the clock starts at T0 + 3s
    nursery.start_soon(n.run_background)
    await trio.sleep(7.5)
    assert [p.time for p in got] == [T0 + 10 * S]
    await trio.sleep(10)
    assert [p.time for p in got] == [T0 + 10 * S, T0 + 20 * S]


def test_loopback_into_its_own_dbrp_cannot_start():
    import pytest

    from kapacitrio.engine.node import NodeError

    ctx = FakeCtx()
    ctx.dbrps = [("db", "rp"), ("loop", "autogen")]
    with pytest.raises(NodeError, match='loop detected on dbrp: "loop"."autogen"'):
        node(
            "kapacitorLoopback",
            ctx=ctx,
            database="loop",
            retentionPolicy="autogen",
            measurement="",
            tags={},
        )
    ctx.dbrps = [("db", "rp")]
    node(
        "kapacitorLoopback",
        ctx=ctx,
        database="loop",
        retentionPolicy="autogen",
        measurement="",
        tags={},
    )
