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
    (plan,) = plans(script, T0 + 30 * S, T0 + 10 * M, T0 + 3 * M)
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
