"""Planning a batch task's recorded queries, and reading a query's database."""

from __future__ import annotations

import pytest

from kapacitrio.pipeline.build import compile_task
from kapacitrio.replay.errors import SourceError
from kapacitrio.replay.sources import plan_batch_queries, query_dbrp

S = 1_000_000_000
M = 60 * S
T0 = 1_600_000_000 * S - (1_600_000_000 * S) % (60 * M)  # on the hour


def plans(script, start, stop, now):
    return plan_batch_queries("t", compile_task(script, "batch"), start, stop, now)


def test_windows_follow_every_period_and_offset() -> None:
    script = "batch|query('SELECT mean(v) FROM db.rp.m').period(10m).every(5m).offset(1m)"
    (plan,) = plans(script, T0, T0 + 20 * M, T0 + 60 * M)
    assert plan.node == "query1"
    assert plan.windows == [(T0 + (5 * k - 1 - 10) * M, T0 + (5 * k - 1) * M) for k in (1, 2, 3, 4)]
    start, stop = plan.windows[0]
    text = plan.runtime.query_text(start, stop)
    assert "time >= '" in text and "time < '" in text


def test_aligned_ticks_and_no_window_ending_after_now() -> None:
    script = "batch|query('SELECT v FROM db.rp.m').period(1m).every(1m).align()"
    # Kapacitor rounds start + every (T0+1m30s -> T0+2m); truncating would start at T0+1m
    (plan,) = plans(script, T0 + 30 * S, T0 + 10 * M, T0 + 3 * M)
    assert [stop for _, stop in plan.windows] == [T0 + 2 * M, T0 + 3 * M]
    (plan,) = plans(script, T0 + 20 * S, T0 + 10 * M, T0 + 3 * M)
    assert [stop for _, stop in plan.windows] == [T0 + M, T0 + 2 * M, T0 + 3 * M]


def test_sources_come_in_pipeline_order() -> None:
    script = """
var a = batch|query('SELECT v FROM db.rp.a').period(1m).every(1m)
var b = batch|query('SELECT v FROM db.rp.b').period(1m).every(1m)
a|join(b).as('a', 'b')
"""
    got = plans(script, T0, T0 + 2 * M, T0 + 2 * M)
    assert len(got) == 2
    assert all(len(p.windows) == 2 for p in got)


def test_cron_schedule() -> None:
    script = "batch|query('SELECT v FROM db.rp.m').period(1m).cron('*/15 * * * *')"
    (plan,) = plans(script, T0, T0 + 60 * M, T0 + 60 * M)
    assert [stop for _, stop in plan.windows] == [T0 + k * 15 * M for k in (1, 2, 3, 4)]


def test_too_many_queries_are_refused() -> None:
    script = "batch|query('SELECT v FROM db.rp.m').period(1s).every(1s)"
    with pytest.raises(SourceError, match="too many queries"):
        plans(script, T0, T0 + 10 * 24 * 3600 * S, T0 + 10 * 24 * 3600 * S)


@pytest.mark.parametrize(
    ("query", "dbrp"),
    [
        ('SELECT * FROM "telegraf"."autogen"."cpu"', ("telegraf", "autogen")),
        ("select mean(v) from db.rp.cpu where time > now() - 1h", ("db", "rp")),
        ('SELECT v FROM "a \\"b"."r p"./cpu.*/', ('a "b', "r p")),
    ],
)
def test_query_dbrp(query, dbrp) -> None:
    assert query_dbrp(query) == dbrp


@pytest.mark.parametrize(
    "query", ["SELECT v FROM cpu", 'SELECT v FROM "db"..cpu', "SHOW DATABASES"]
)
def test_query_dbrp_needs_a_fully_qualified_source(query) -> None:
    with pytest.raises(SourceError, match="Is the query fully qualified"):
        query_dbrp(query)


class FakeClient:
    """Answers every query with the same canned series and remembers what it was asked."""

    def __init__(self, series):
        self.canned = series
        self.asked = []

    async def series(self, q, db="", rp="", epoch=""):
        self.asked.append(q)
        return self.canned

    async def query(self, q, db="", rp="", epoch=""):
        self.asked.append(q)
        return [{"series": self.canned}]


class FakeClusters:
    def __init__(self, client):
        self.client = client

    def get(self, name=""):
        return self.client if name in ("", "main") else None


def services_with(series):
    from types import SimpleNamespace

    client = FakeClient(series)
    return SimpleNamespace(influxdb=FakeClusters(client)), client


async def test_batch_plans_run_each_window_and_record_floats() -> None:
    from kapacitrio.replay.sources import run_batch_plans

    series = [
        {
            "name": "m",
            "tags": {"host": "a"},
            "columns": ["time", "v", "s"],
            "values": [[T0 + 10 * S, 1, "x"], [T0 + 20 * S, None, None]],
        },
        {"name": "m", "tags": {"host": "b"}, "columns": ["time", "v"], "values": []},
    ]
    svc, client = services_with(series)
    script = "batch|query('SELECT v, s FROM db.rp.m').period(1m).every(1m).groupBy('host')"
    got = [x async for x in run_batch_plans(svc, plans(script, T0, T0 + 2 * M, T0 + 2 * M))]
    assert [(i, done) for i, done, _ in got] == [(0, 1), (0, 2)]
    assert len(client.asked) == 2 and 'GROUP BY "host"' in client.asked[0]
    (b,) = got[0][2]  # the empty series is not recorded
    assert (b.name, b.tags, b.tmax) == ("m", {"host": "a"}, T0 + M)  # timed by the query's stop
    assert [(p.time, p.fields) for p in b.points] == [(T0 + 10 * S, {"v": 1.0, "s": "x"})]
    assert type(b.points[0].fields["v"]) is float


async def test_batch_recording_needs_an_influxdb() -> None:
    from types import SimpleNamespace

    from kapacitrio.replay.sources import run_batch_plans

    script = "batch|query('SELECT v FROM db.rp.m').period(1m).every(1m).cluster('other')"
    p = plans(script, T0, T0 + M, T0 + M)
    with pytest.raises(SourceError, match="InfluxDB not configured, cannot record batch query"):
        [x async for x in run_batch_plans(SimpleNamespace(influxdb=None), p)]
    svc, _ = services_with([])
    with pytest.raises(SourceError, match="unknown InfluxDB cluster other"):
        [x async for x in run_batch_plans(svc, p)]


async def test_query_points_merge_series_in_time_order() -> None:
    from kapacitrio.replay.sources import query_batches, query_points

    series = [
        {"name": "cpu", "tags": {"h": "a"}, "columns": ["time", "v"], "values": [[1, 1], [4, 4]]},
        {"name": "cpu", "tags": {"h": "b"}, "columns": ["time", "v"], "values": [[2, 2], [3, 3]]},
    ]
    svc, _ = services_with(series)
    points = await query_points(svc, 'SELECT v FROM "d"."r"."cpu" GROUP BY *')
    assert [(p.time, p.tags["h"], p.db, p.rp) for p in points] == [
        (1, "a", "d", "r"),
        (2, "b", "d", "r"),
        (3, "b", "d", "r"),
        (4, "a", "d", "r"),
    ]
    batches = await query_batches(svc, 'SELECT v FROM "d"."r"."cpu" GROUP BY *')
    assert [(b.tags, b.tmax, b.dimensions.tag_names) for b in batches] == [
        ({"h": "a"}, 4, ("h",)),
        ({"h": "b"}, 3, ("h",)),
    ]


async def test_batches_grouped_by_time_are_timed_by_their_latest_point() -> None:
    from kapacitrio.replay.sources import run_batch_plans

    series = [
        {"name": "m", "columns": ["time", "mean"], "values": [[T0 + 20 * S, 2], [T0 + 30 * S, 3]]}
    ]
    svc, _ = services_with(series)
    script = "batch|query('SELECT mean(v) FROM db.rp.m').period(1m).every(1m).groupBy(time(10s))"
    ((_, _, (b,)),) = [x async for x in run_batch_plans(svc, plans(script, T0, T0 + M, T0 + M))]
    assert b.tmax == T0 + 30 * S
