"""influxDBOut against a real influxd: buffering, the flush interval on the task clock, final flush."""

from types import SimpleNamespace

import pytest
import trio

from kapacitrio.engine.clock import TrioClock
from kapacitrio.influxdb.client import InfluxDBClient
from tests.nodes.helpers import T0, FakeCtx, S, bt, node, pt

pytestmark = pytest.mark.influxdb


def out_node(client, **props):
    props.setdefault("database", "kout")
    props.setdefault("buffer", 1000)
    props.setdefault("flushInterval", 10 * S)
    ctx = FakeCtx(clock=TrioClock(T0), services=SimpleNamespace(influxdb=client))
    return node("influxDBOut", ctx=ctx, **props), ctx


async def until(cond, limit=2000):
    for _ in range(limit):
        if cond():
            return
        await trio.sleep(0.005)
    raise AssertionError("condition not reached")


async def rows(client, q, db="kout"):
    series = await client.series(q, db=db, epoch="ns")
    return [(s.get("tags"), s["values"]) for s in series]


async def test_writes_when_buffer_fills_and_on_interval(influxd_url, mock_clock):
    mock_clock.rate = 1.0
    async with InfluxDBClient(influxd_url) as client:
        await client.create_database("kout")
        # without .retentionPolicy() each point goes to its own retention policy ("rp")
        await client.series('CREATE RETENTION POLICY "rp" ON "kout" DURATION INF REPLICATION 1')
        n, ctx = out_node(client, buffer=2, tags={"src": "k"})
        async with trio.open_nursery() as nursery:
            nursery.start_soon(n.run_background)
            n.point(pt(0, {"value": 1.0}, {"host": "a"}, ("host",)), 0)
            await trio.sleep(0.05)
            assert n.stats["points_written"] == 0
            n.point(pt(1, {"value": 2.0}, {"host": "a"}, ("host",)), 0)
            await until(lambda: n.stats["points_written"] == 2)
            n.point(pt(2, {"value": 3.0}, {"host": "b"}, ("host",)), 0)
            await trio.sleep(0.05)
            assert n.stats["points_written"] == 2
            mock_clock.jump(10)
            await until(lambda: n.stats["points_written"] == 3)
            nursery.cancel_scope.cancel()
        got = await client.series('SELECT value, host, src FROM "rp"."cpu"', db="kout", epoch="ns")
        assert got[0]["values"] == [
            [T0, 1.0, "a", "k"],
            [T0 + S, 2.0, "a", "k"],
            [T0 + 2 * S, 3.0, "b", "k"],
        ]
        assert ctx.errors == []


async def test_final_flush_when_stopped_and_batches(influxd_url, mock_clock):
    mock_clock.rate = 1.0
    async with InfluxDBClient(influxd_url) as client:
        n, _ = out_node(
            client, database="kfinal", create=True, measurement="renamed", precision="s"
        )
        async with trio.open_nursery() as nursery:
            nursery.start_soon(n.run_background)
            b = bt(5, [(0, {"v": 1}), (1.5, {"v": 2})], {"host": "a"}, ("host",))
            n.batch(b, 0)
            await trio.sleep(0.05)
            assert n.stats["points_written"] == 0
            nursery.cancel_scope.cancel()
        assert n.stats["points_written"] == 2
        got = await client.series("SELECT v, host FROM renamed", db="kfinal", epoch="s")
        assert got[0]["values"] == [[T0 // S, 1, "a"], [T0 // S + 1, 2, "a"]]


async def test_write_errors_are_counted(influxd_url, mock_clock):
    mock_clock.rate = 1.0
    async with InfluxDBClient(influxd_url) as client:
        n, ctx = out_node(client, database="missing_db", buffer=1)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(n.run_background)
            n.point(pt(0, {"value": 1.0}), 0)
            await until(lambda: n.stats["write_errors"] == 1)
            nursery.cancel_scope.cancel()
        assert n.stats["points_written"] == 0
        assert "database not found" in ctx.errors[0][1]


async def test_no_cluster_configured_is_an_error(mock_clock):
    mock_clock.rate = 1.0
    ctx = FakeCtx(clock=TrioClock(T0), services=SimpleNamespace(influxdb=None))
    n = node("influxDBOut", ctx=ctx, database="x", buffer=1, flushInterval=10 * S)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(n.run_background)
        n.point(pt(0, {"value": 1.0}), 0)
        await until(lambda: n.stats["write_errors"] == 1)
        nursery.cancel_scope.cancel()
    assert "no InfluxDB cluster" in ctx.errors[0][1]
