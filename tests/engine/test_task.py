"""The task runner and TaskMaster with hand-built pipelines: routing, chunks, stats, failures."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from kapacitrio.engine.clock import VirtualClock
from kapacitrio.engine.node import NodeError, NodeRuntime, register
from kapacitrio.engine.taskmaster import TaskStartError, open_taskmaster
from kapacitrio.models.lineprotocol import LineProtocolError
from kapacitrio.models.point import Batch, BatchPoint, Dimensions, Point
from tests.engine.helpers import T0, Chain, S, lines


@register("testBoom")
class _Boom(NodeRuntime):
    """Fails on a point whose `boom` field is set."""

    def point(self, p: Point, parent: int) -> None:
        if p.fields.get("boom"):
            raise NodeError("exploded")
        self.emit(p)


def window_pipeline(endpoint: str = "out"):
    c = Chain()
    c.add("from", measurement="cpu", groupBy=["host"], groupByMeasurement=False)
    c.add(
        "window",
        period=10 * S,
        every=10 * S,
        align=False,
        fillPeriod=False,
        periodCount=0,
        everyCount=0,
    )
    c.add("httpOut", args=[endpoint], desc="http_out")
    return c.pipeline()


async def settle() -> None:
    await trio.testing.wait_all_tasks_blocked()


async def test_window_by_group_to_http_out() -> None:
    async with open_taskmaster(VirtualClock(T0)) as tm:
        await tm.start_task("t", window_pipeline(), [("db", "rp")])
        body = lines(
            *[(f"cpu,host=a value={i}", i) for i in range(12)],
            *[(f"cpu,host=b value={i * 10}", i) for i in range(12)],
            ("mem,host=a value=1", 3),
        )
        assert await tm.write("db", "rp", "n", body) == 24
        await settle()
        res = tm.http_out("t", "out")
        assert res is not None
        series = res["series"]
        assert [s["tags"] for s in series] == [{"host": "a"}, {"host": "b"}]
        assert series[0]["columns"] == ["time", "value"]
        assert len(series[0]["values"]) == 10
        assert series[0]["values"][0] == ["1971-01-01T00:00:00Z", 0.0]
        assert series[1]["values"][-1] == ["1971-01-01T00:00:09Z", 90.0]
        info = tm.task_info("t")
        assert info is not None and info["executing"] and info["error"] == ""
        stats = info["stats"]
        assert stats["from1"]["collected"] == 24 and stats["from1"]["emitted"] == 24
        assert stats["window2"]["emitted"] == 2
        assert stats["window2"]["working_cardinality"] == 2
        assert info["edges"][("window2", "http_out3")] == 2


async def test_other_dbrp_and_unwanted_measurements_are_not_routed() -> None:
    async with open_taskmaster(VirtualClock(T0)) as tm:
        task = await tm.start_task("t", window_pipeline(), [("db", "rp")])
        assert await tm.write("other", "rp", "n", lines(("cpu,host=a value=1", 1))) == 0
        assert await tm.write("db", "rp", "n", lines(("mem,host=a value=1", 1))) == 0
        await settle()
        assert task.node_stats()["stream0"]["collected"] == 0


async def test_bad_body_is_rejected_whole() -> None:
    async with open_taskmaster(VirtualClock(T0)) as tm:
        task = await tm.start_task("t", window_pipeline(), [("db", "rp")])
        body = lines(("cpu,host=a value=1", 1)) + b"\nmem,host=a value=oops 5\n"
        with pytest.raises(LineProtocolError, match="unable to parse 'mem,host=a value=oops 5'"):
            await tm.write("db", "rp", "n", body)
        await settle()
        assert task.node_stats()["stream0"]["collected"] == 0


async def test_failing_node_stops_only_its_task() -> None:
    async with open_taskmaster(VirtualClock(T0)) as tm:
        c = Chain()
        c.add("from", measurement="cpu")
        c.add("testBoom", desc="boom")
        bad = await tm.start_task("bad", c.pipeline(), [("db", "rp")])
        good = await tm.start_task("good", window_pipeline(), [("db", "rp")])
        await tm.write(
            "db", "rp", "n", lines(("cpu,host=a value=1,boom=t", 1), ("cpu,host=a value=2", 2))
        )
        await settle()
        assert bad.error == "boom2: exploded"
        assert not bad.executing
        assert good.executing and good.error == ""
        assert good.node_stats()["from1"]["collected"] == 2


async def test_stop_flushes_and_closes() -> None:
    async with open_taskmaster(VirtualClock(T0)) as tm:
        task = await tm.start_task("t", window_pipeline(), [("db", "rp")])
        await tm.write("db", "rp", "n", lines(("cpu,host=a value=1", 1)))
        await tm.stop_task("t")
        assert task.finished.is_set()
        assert tm.task_info("t") is None
        assert await tm.write("db", "rp", "n", lines(("cpu,host=a value=1", 1))) == 0


async def test_unknown_node_kind_cannot_start() -> None:
    async with open_taskmaster(VirtualClock(T0)) as tm:
        c = Chain()
        c.add("noSuchNode")
        with pytest.raises(TaskStartError, match="noSuchNode"):
            await tm.start_task("t", c.pipeline(), [("db", "rp")])


async def test_batch_task_fed_from_recorded_batches() -> None:
    async with open_taskmaster(VirtualClock(T0)) as tm:
        c = Chain("batch")
        c.add(
            "query",
            args=["SELECT mean(value) FROM cpu"],
            provides="batch",
            wants="batch",
            groupBy=["cpu"],
        )
        c.add("httpOut", args=["out"], desc="http_out")
        await tm.start_task("b", c.pipeline(), [("db", "rp")])
        pts = [
            BatchPoint(T0 + i * S, {"mean": float(i)}, {"cpu": "c0", "host": "h"}) for i in range(3)
        ]
        b = Batch("cpu", {"cpu": "c0"}, T0 + 2 * S, pts, "", Dimensions())
        await tm.feed_batches("b", 0, [b])
        await settle()
        res = tm.http_out("b", "out")
        assert res == {
            "series": [
                {
                    "name": "cpu",
                    "tags": {"cpu": "c0"},
                    "columns": ["time", "host", "mean"],
                    "values": [
                        ["1971-01-01T00:00:00Z", "h", 0.0],
                        ["1971-01-01T00:00:01Z", "h", 1.0],
                        ["1971-01-01T00:00:02Z", "h", 2.0],
                    ],
                }
            ]
        }


async def test_query_start_error_text() -> None:
    async with open_taskmaster(VirtualClock(T0)) as tm:
        c = Chain("batch")
        c.add("query", args=["SELECT v FROM m; DROP DATABASE x"], provides="batch", wants="batch")
        with pytest.raises(TaskStartError) as exc:
            await tm.start_task("b", c.pipeline(), [("db", "rp")])
        assert str(exc.value) == "query must be a single select statement, got 2 statements"


async def test_large_chunks_pass_whole_through_a_one_message_node() -> None:
    async with open_taskmaster(VirtualClock(T0)) as tm:
        c = Chain()
        c.add("from", measurement="cpu")
        c.add("testBoom", desc="boom")
        c.add("httpOut", args=["out"], desc="http_out")
        task = await tm.start_task("t", c.pipeline(), [("db", "rp")])
        body = lines(*[(f"cpu,host=h{i % 7} value={i}", i) for i in range(1000)])
        assert await tm.write("db", "rp", "n", body) == 1000
        await settle()
        stats = task.node_stats()
        assert stats["boom2"]["collected"] == stats["boom2"]["emitted"] == 1000
        [series] = tm.http_out("t", "out")["series"]
        assert series["values"][0][1] == 999.0
