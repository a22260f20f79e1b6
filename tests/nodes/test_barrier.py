"""barrier on a mock clock: idle (data-time barriers) and period modes, delete, dropping late data."""

import trio

from kapacitrio.engine.clock import TrioClock
from kapacitrio.models.point import Barrier, DeleteGroup, Point
from tests.nodes.helpers import T0, FakeCtx, S, bt, node, pt, take


def barrier_node(start=T0, **props):
    props.setdefault("idle", 0)
    props.setdefault("period", 0)
    props.setdefault("delete", False)
    n = node("barrier", ctx=FakeCtx(clock=TrioClock(start)), **props)
    emitted = []

    async def flusher():
        emitted.extend(n.out)
        n.out = []

    n._flusher = flusher
    return n, emitted


def kinds(msgs):
    return [
        (type(m).__name__, m.group, (m.time - T0) / S if hasattr(m, "time") else None) for m in msgs
    ]


async def test_idle_barrier_at_last_data_time_plus_idle(autojump_clock, nursery):
    # the task clock is the wall clock (2026); data is from 1971: barriers follow the data
    n, emitted = barrier_node(start=T0 + 10**9 * S, idle=5 * S)
    nursery.start_soon(n.run_background)
    await trio.sleep(0)
    n.point(pt(0, {"v": 1}, {"h": "A"}, ("h",)), 0)
    assert [type(m) for m in take(n)] == [Point]
    await trio.sleep(3)
    n.point(pt(3, {"v": 1}, {"h": "A"}, ("h",)), 0)
    assert [type(m) for m in take(n)] == [Point]
    await trio.sleep(4.5)
    assert emitted == []
    await trio.sleep(1)
    assert kinds(emitted) == [("Barrier", "h=A", 8.0)]
    await trio.sleep(5)  # still idle: another barrier, idle later in data time
    assert kinds(emitted)[1:] == [("Barrier", "h=A", 13.0)]
    n.point(pt(12, {"v": 1}, {"h": "A"}, ("h",)), 0)  # older than the last barrier: dropped
    assert n.out == [] and n.cardinality() == 1
    n.point(pt(14, {"v": 1}, {"h": "A"}, ("h",)), 0)
    assert len(take(n)) == 1


async def test_idle_with_delete_forgets_the_group(autojump_clock, nursery):
    n, emitted = barrier_node(idle=2 * S, delete=True)
    nursery.start_soon(n.run_background)
    await trio.sleep(0)
    n.batch(bt(1, [(0, {"v": 1}), (1, {"v": 2})], {"h": "A"}, ("h",)), 0)
    take(n)
    await trio.sleep(2.5)
    assert kinds(emitted) == [("Barrier", "h=A", 3.0), ("DeleteGroup", "h=A", None)]
    assert n.cardinality() == 0
    n.point(pt(2, {"v": 1}, {"h": "A"}, ("h",)), 0)  # a new group: nothing to compare with
    assert len(take(n)) == 1


async def test_period_barrier_on_the_clock_with_delete(autojump_clock, nursery):
    n, emitted = barrier_node(period=10 * S, delete=True)
    nursery.start_soon(n.run_background)
    await trio.sleep(0)
    n.point(pt(0, {"v": 1}, {"h": "A"}, ("h",)), 0)
    take(n)
    await trio.sleep(10.5)
    assert [type(m) for m in emitted] == [Barrier, DeleteGroup]
    assert emitted[0].time == T0 + 10 * S
    assert n.cardinality() == 0


async def test_period_barrier_repeats_and_drops_older_points(autojump_clock, nursery):
    n, emitted = barrier_node(period=2 * S)
    nursery.start_soon(n.run_background)
    await trio.sleep(0)
    n.point(pt(0, {"v": 1}), 0)
    take(n)
    await trio.sleep(7)
    assert [(m.group, (m.time - T0) / S) for m in emitted] == [("", 2.0), ("", 4.0), ("", 6.0)]
    n.point(pt(5, {"v": 1}), 0)
    assert n.out == []
    n.barrier(Barrier("", T0 + 6 * S), 0)
    assert len(take(n)) == 1
