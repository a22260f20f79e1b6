"""SELECT statements parsed with the grammar and rebuilt per window, checked on a real influxd."""

from __future__ import annotations

import pytest

import kapacitrio.engine.nodes  # noqa: F401  (registers the node kinds)
from kapacitrio.engine.clock import VirtualClock
from kapacitrio.engine.context import TaskContext
from kapacitrio.engine.node import NODE_TYPES, NodeError
from kapacitrio.influxdb.client import InfluxDBClient
from kapacitrio.influxql.select import InfluxQLError, Source, parse_select
from kapacitrio.pipeline.spec import NodeSpec, TimeDimension

S = 1_000_000_000
T0 = 1_600_000_000 * S
COND = "time >= 'A' AND time < 'B'"


def query_node(text: str, **props):
    spec = NodeSpec("query", "query", 1, "batch", "batch", [text], props)
    return NODE_TYPES["query"](spec, TaskContext("t", VirtualClock(T0)))


def test_time_condition_goes_to_the_outer_where_and_the_rest_is_kept():
    q = (
        "SELECT mean(value) FROM telegraf.autogen.cpu WHERE host = 'a' OR host =~ /b/ "
        "GROUP BY host, time(1m) fill(0) ORDER BY time DESC LIMIT 10 OFFSET 2 SLIMIT 3 "
        "SOFFSET 1 tz('Europe/Paris')"
    )
    s = parse_select(q)
    assert s.render(COND, ['"cpu"']) == (
        "SELECT mean(value) FROM telegraf.autogen.cpu WHERE (host = 'a' OR host =~ /b/) AND "
        "time >= 'A' AND time < 'B' GROUP BY \"cpu\" fill(0) ORDER BY time DESC LIMIT 10 "
        "OFFSET 2 SLIMIT 3 SOFFSET 1 tz('Europe/Paris')"
    )
    # no dimensions from the node: the text's GROUP BY goes, as in Kapacitor
    assert " GROUP BY " not in s.render(COND, [])
    assert s.measurements == (Source("telegraf", "autogen", "cpu"),)


def test_subqueries_keep_their_own_where_and_report_their_sources():
    s = parse_select(
        'SELECT max(v) FROM (SELECT mean(value) AS v FROM "db"."rp"."cpu" WHERE x = \'a;b\' '
        "GROUP BY time(1m)) WHERE v > 2"
    )
    assert s.render(COND, []) == (
        'SELECT max(v) FROM (SELECT mean(value) AS v FROM "db"."rp"."cpu" WHERE '
        "x = 'a;b' GROUP BY time(1m)) WHERE (v > 2) AND time >= 'A' AND time < 'B'"
    )
    assert s.measurements == (Source("db", "rp", "cpu"),)


def test_sources_with_default_rp_regexes_and_into():
    s = parse_select("select v * 2 / 3 into db.rp.out from db..cpu, rp.m, db.rp./c.*/")
    assert s.measurements == (
        Source("db", "", "cpu"),
        Source("", "rp", "m"),
        Source("db", "rp", "/c.*/"),
    )
    assert s.render(COND).startswith("SELECT v * 2 / 3 INTO db.rp.out FROM db..cpu, rp.m,")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("SELECT a FROM b; SELECT c FROM d", "query must be a single select statement, got 2 statements"),
        ("DROP DATABASE x", 'query is not a select statement "DROP DATABASE x"'),
        ("SELECT FROM x", "failed to parse InfluxQL query: found FROM at line 1, char 8"),
        ("SELECT v FROM m WHERE (a = 1", "failed to parse InfluxQL query: "),
        ("", "query must be a single select statement, got 0 statements"),
    ],
)  # fmt: skip
def test_bad_queries_get_kapacitors_errors(text, error):
    with pytest.raises(InfluxQLError) as exc:
        parse_select(text)
    assert str(exc.value).startswith(error)
    with pytest.raises(NodeError):
        query_node(text)


def window_query(text: str, start: int, stop: int, **props) -> str:
    return query_node(text, **props).query_text(start, stop)


@pytest.mark.influxdb
async def test_rebuilt_queries_run_on_a_real_influxdb(influxd_url):
    lines = "\n".join(
        f"cpu,host={h} value={v} {T0 + i * S}"
        for i, (h, v) in enumerate([("a", 1), ("b", 5), ("a", 3), ("b", 7), ("a", 2), ("c", 9)])
    )
    async with InfluxDBClient(influxd_url) as c:
        await c.create_database("qdb")
        await c.write("qdb", lines, rp="autogen", precision="ns")
        start, stop = T0, T0 + 5 * S  # the last point (c) is outside the window

        async def ask(text: str, **props):
            return await c.series(window_query(text, start, stop, **props), epoch="ns")

        # LIMIT and ORDER BY survive; the window applies
        rows = await ask("SELECT value FROM qdb.autogen.cpu ORDER BY time DESC LIMIT 2")
        assert [r[1] for r in rows[0]["values"]] == [2, 7]
        # the text's GROUP BY is replaced by the node's; SLIMIT keeps one series
        got = await ask(
            "SELECT max(value) FROM qdb.autogen.cpu GROUP BY nosuch SLIMIT 1", groupBy=["host"]
        )
        assert [(s["tags"], s["values"][0][1]) for s in got] == [({"host": "a"}, 3)]
        # a WHERE with OR is bracketed before the time condition is added
        got = await ask("SELECT sum(value) FROM qdb.autogen.cpu WHERE host = 'a' OR host = 'c'")
        assert got[0]["values"][0][1] == 6
        # fill() and tz() kept with a time grouping from the node
        got = await ask(
            "SELECT count(value) FROM qdb.autogen.cpu fill(-1) tz('UTC')",
            groupBy=[TimeDimension(S, 0)],
        )
        assert [v[1] for v in got[0]["values"]] == [1, 1, 1, 1, 1]
        # a subquery keeps its own clauses
        got = await ask(
            "SELECT max(m) FROM (SELECT mean(value) AS m FROM qdb.autogen.cpu GROUP BY host)"
        )
        assert got[0]["values"][0][1] == 6
