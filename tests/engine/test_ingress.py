"""Ingress statistics: points received per db/rp/measurement, wanted by a task or not."""

from __future__ import annotations

import pytest

from kapacitrio.engine.clock import TrioClock
from kapacitrio.engine.taskmaster import open_taskmaster
from kapacitrio.models.lineprotocol import LineProtocolError
from kapacitrio.models.point import Point
from kapacitrio.tasks.compiling import compile_doc

SCRIPT = "stream|from().measurement('cpu')|httpOut('x')"


async def test_every_valid_point_is_counted_per_measurement():
    async with open_taskmaster(TrioClock(0)) as tm:
        # no task at all: nothing is routed, everything is counted
        await tm.write("db", "rp", "s", b"cpu v=1 1\nmem v=2 2\nmem v=3 3\n")
        assert tm.ingress == {("db", "rp", "cpu"): 1, ("db", "rp", "mem"): 2}
        pipeline = compile_doc(SCRIPT, "stream", {})
        await tm.start_task("t", pipeline, [("db", "rp")])
        # a body the task wants, one another db gets, and one with a repeated field key
        await tm.write("db", "rp", "s", b"cpu v=1 4\ncpu v=2 5\nmem v=1 6\n")
        await tm.write("other", "autogen", "s", b"cpu v=1 4\n")
        await tm.write("db", "rp", "s", b"cpu v=1,v=2 7\n")
        assert tm.ingress == {
            ("db", "rp", "cpu"): 4,
            ("db", "rp", "mem"): 3,
            ("other", "autogen", "cpu"): 1,
        }
        # a body with a bad line is refused whole and counts nothing
        with pytest.raises(LineProtocolError):
            await tm.write("db", "rp", "s", b"cpu v=1 8\nmem v= 9\n")
        assert tm.ingress[("db", "rp", "cpu")] == 4
        # points written by the engine itself (kapacitorLoopback) count too
        await tm.write_points("loop", "rp", [Point("m", {}, {"v": 1.0}, 10)] * 3)
        assert tm.ingress[("loop", "rp", "m")] == 3


async def test_a_cluster_write_is_counted_where_it_is_received():
    from types import SimpleNamespace

    from kapacitrio.cluster.ingest import Ingest

    published: list = []

    async def publish_all(messages):
        published.extend(messages)

    link = SimpleNamespace(names=SimpleNamespace(points_subject="p"), publish_all=publish_all)
    ingest = Ingest(link, lambda: 0, 1.0, 1.0)
    tally: dict[str, int] = {}
    assert await ingest.publish("db", "rp", "s", b"cpu v=1 1\ncpu v=2 2\nmem v=1 1\n", tally) == 3
    assert tally == {"cpu": 2, "mem": 1} and len(published) == 2
    async with open_taskmaster(TrioClock(0)) as tm:
        tm.count_ingress("db", "rp", tally)
        assert tm.ingress == {("db", "rp", "cpu"): 2, ("db", "rp", "mem"): 1}
