"""barrier on a mock clock: idle and period modes, delete, dropping late data."""

import trio

from kapacitrio.engine.clock import TrioClock
from kapacitrio.models.point import Barrier, DeleteGroup, Point
from tests.nodes.helpers import T0, FakeCtx, S, node, pt


def barrier_node(**props):
    props.setdefault("idle", 0)
    props.setdefault("period", 0)
    props.setdefault("delete", False)
    n = node("barrier", ctx=FakeCtx(clock=TrioClock(T0)), **props)
    emitted = []

    async def flusher():
        emitted.extend(n.out)
        n.out = []

    n._flusher = flusher
    return n, emitted


def kinds(msgs):
    return [
        (
            type(m).__name__,
            getattr(m, "group", None),
            (m.time - T0) / S if hasattr(m, "time") else None,
        )
        for m in msgs
    ]


async def test_idle_barrier_per_group(autojump_clock, nursery):
    n, emitted = barrier_node(idle=5 * S)
    nursery.start_soon(n.run_background)
    await trio.sleep(0)
    n.point(pt(0, {"v": 1}, {"h": "A"}, ("h",)), 0)
    assert isinstance(n.out.pop(), Point)
    await trio.sleep(3)
    n.point(pt(3, {"v": 1}, {"h": "A"}, ("h",)), 0)
    n.out.clear()
    await trio.sleep(4.5)
    assert emitted == []
    await trio.sleep(1)
    assert kinds(emitted) == [("Barrier", "h=A", 8.0)]
    await trio.sleep(60)
    assert len(emitted) == 1  # no data since: no further barrier
    n.point(pt(70, {"v": 1}, {"h": "A"}, ("h",)), 0)
    await trio.sleep(6)
    assert kinds(emitted)[1:] == [("Point", "h=A", 70.0), ("Barrier", "h=A", 73.5)]


async def test_period_barrier_with_delete_and_late_points(autojump_clock, nursery):
    n, emitted = barrier_node(period=10 * S, delete=True)
    nursery.start_soon(n.run_background)
    await trio.sleep(0)
    n.point(pt(0, {"v": 1}, {"h": "A"}, ("h",)), 0)
    n.out.clear()
    await trio.sleep(10.5)
    assert [type(m) for m in emitted] == [Barrier, DeleteGroup]
    assert n.cardinality() == 0
    # a point older than the barrier time is dropped, a newer one passes
    n.point(pt(5, {"v": 1}, {"h": "A"}, ("h",)), 0)
    assert n.out == []
    n.point(pt(11, {"v": 1}, {"h": "A"}, ("h",)), 0)
    assert len(n.out) == 1


async def test_period_barrier_repeats(autojump_clock, nursery):
    n, emitted = barrier_node(period=2 * S)
    nursery.start_soon(n.run_background)
    await trio.sleep(0)
    n.point(pt(0, {"v": 1}), 0)
    n.out.clear()
    await trio.sleep(7)
    assert [(m.group, (m.time - T0) / S) for m in emitted] == [("", 2.0), ("", 4.0), ("", 6.0)]
