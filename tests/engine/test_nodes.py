"""Node runtimes driven directly: from, window, groupBy, where, eval, default, delete, sample, ..."""

from __future__ import annotations

from typing import Any

import pytest

import kapacitrio.engine.nodes  # noqa: F401  (registers the runtimes)
from kapacitrio.engine.clock import VirtualClock
from kapacitrio.engine.context import TaskContext
from kapacitrio.engine.node import NODE_TYPES, NodeError, NodeRuntime
from kapacitrio.models.point import Barrier, Batch, BatchPoint, DeleteGroup, Dimensions, Point
from kapacitrio.pipeline.spec import STAR, NodeSpec
from kapacitrio.tick.parser import parse_expression
from kapacitrio.tick.values import Duration
from tests.engine.helpers import T0, S


def rt(kind: str, args: list[Any] | None = None, **props: Any) -> NodeRuntime:
    spec = NodeSpec(kind, kind.lower(), 1, "stream", "stream", list(args or []), props)
    return NODE_TYPES[kind](spec, TaskContext("t", VirtualClock(T0)))


def lam(text: str) -> Any:
    return parse_expression(text)


def take(node: NodeRuntime) -> list[Any]:
    out, node.out = node.out, []
    return out


def pt(
    t: float, fields: dict, tags: dict | None = None, name: str = "cpu", dims: tuple = ()
) -> Point:
    tags = tags or {}
    d = Dimensions(False, dims)
    return Point(name, tags, fields, T0 + int(t * S), "db", "rp", d.group_id(name, tags), d)


def secs(t: int) -> float:
    return (t - T0) / S


# -- from
def test_from_filters_and_groups() -> None:
    n = rt("from", measurement="cpu", database="db", where=lam('"v" > 1'), groupBy=["host"])
    n.point(pt(0, {"v": 2}, {"host": "a"}), 0)
    n.point(pt(0, {"v": 0}, {"host": "a"}), 0)
    n.point(pt(0, {"v": 5}, {"host": "a"}, name="mem"), 0)
    n.point(Point("cpu", {}, {"v": 5}, T0, "other", "rp"), 0)
    [p] = take(n)
    assert p.group == "host=a" and p.dimensions.tag_names == ("host",)
    assert p.tags == {"host": "a"}


def test_from_truncate_round_star_and_by_measurement() -> None:
    n = rt("from", truncate=10 * S)
    n.point(pt(19.9, {"v": 1}), 0)
    assert secs(take(n)[0].time) == 10
    n = rt("from", round=10 * S)
    n.point(pt(15, {"v": 1}), 0)
    n.point(pt(14.9, {"v": 1}), 0)
    assert [secs(p.time) for p in take(n)] == [20, 10]
    n = rt("from", groupBy=[STAR], groupByMeasurement=True)
    n.point(pt(0, {"v": 1}, {"b": "2", "a": "1"}), 0)
    [p] = take(n)
    assert p.group == "cpu\na=1,b=2"


def test_from_where_error_drops_and_counts() -> None:
    n = rt("from", where=lam('"missing" > 1'))
    n.point(pt(0, {"v": 1}), 0)
    assert take(n) == [] and n.stats["errors"] == 1


# -- window
def window(**props: Any) -> NodeRuntime:
    base = dict(period=0, every=0, align=False, fillPeriod=False, periodCount=0, everyCount=0)
    return rt("window", **{**base, **props})


def test_window_time_emits_when_a_point_reaches_the_boundary() -> None:
    n = window(period=10 * S, every=5 * S)
    for t in range(0, 12):
        n.point(pt(t, {"v": t}), 0)
    batches = take(n)
    assert [secs(b.tmax) for b in batches] == [5, 10]
    assert [secs(p.time) for p in batches[1].points] == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert [secs(p.time) for p in batches[0].points] == [0, 1, 2, 3, 4]


def test_window_gaps_skip_empty_windows_and_align() -> None:
    n = window(period=2 * S, every=2 * S, align=True)
    for t in (1, 7, 8, 11):
        n.point(pt(t, {"v": 1}), 0)
    assert [(secs(b.tmax), len(b.points)) for b in take(n)] == [(2, 1), (8, 1), (10, 1)]


def test_window_every_zero_emits_each_point() -> None:
    n = window(period=3 * S)
    for t in range(5):
        n.point(pt(t, {"v": t}), 0)
    assert [len(b.points) for b in take(n)] == [1, 2, 3, 3, 3]


def test_window_fill_period() -> None:
    n = window(period=4 * S, every=2 * S, fillPeriod=True)
    for t in range(8):
        n.point(pt(t, {"v": t}), 0)
    assert [(secs(b.tmax), len(b.points)) for b in take(n)] == [(4, 4), (6, 4)]


def test_window_count_and_barrier() -> None:
    n = window(periodCount=3, everyCount=2)
    for t in range(6):
        n.point(pt(t, {"v": t}), 0)
    assert [[p.fields["v"] for p in b.points] for b in take(n)] == [[0, 1], [1, 2, 3], [3, 4, 5]]
    n = window(period=10 * S, every=10 * S)
    n.point(pt(1, {"v": 1}), 0)
    n.barrier(Barrier(None, T0 + 12 * S), 0)
    out = take(n)
    assert isinstance(out[0], Batch) and secs(out[0].tmax) == 11 and isinstance(out[1], Barrier)


def test_window_rejects_batches_and_bad_config() -> None:
    with pytest.raises(NodeError):
        window(period=S).batch(Batch("cpu", {}, T0, []), 0)
    with pytest.raises(NodeError, match="non zero period"):
        window()


# -- groupBy
def test_group_by_stream_star_exclude_and_by_measurement() -> None:
    n = rt("groupBy", [STAR], exclude=["b"], byMeasurement=True)
    n.point(pt(0, {"v": 1}, {"a": "1", "b": "2", "c": "3"}), 0)
    [p] = take(n)
    assert p.group == "cpu\na=1,c=3" and p.tags == {"a": "1", "b": "2", "c": "3"}


def test_group_by_batch_regroups_and_holds_until_next_tmax() -> None:
    n = rt("groupBy", ["host"], exclude=[], byMeasurement=False)
    pts = [BatchPoint(T0 + i * S, {"v": i}, {"host": "ab"[i % 2]}) for i in range(4)]
    n.batch(Batch("cpu", {}, T0 + 5 * S, pts), 0)
    assert take(n) == []
    n.batch(Batch("cpu", {}, T0 + 10 * S, pts[:1]), 0)
    out = take(n)
    assert [(b.group, b.tags, len(b.points)) for b in out] == [
        ("host=a", {"host": "a"}, 2),
        ("host=b", {"host": "b"}, 2),
    ]
    n.finish()
    assert take(n) == []


# -- where / eval
def test_where_stream_and_batch() -> None:
    n = rt("where", [lam('"v" > 1')])
    n.point(pt(0, {"v": 2}), 0)
    n.point(pt(0, {"v": 1}), 0)
    assert len(take(n)) == 1
    n.batch(Batch("cpu", {}, T0, [BatchPoint(T0, {"v": 0}, {})]), 0)
    [b] = take(n)
    assert b.points == []


def test_eval_results_feed_later_expressions_and_keep() -> None:
    n = rt(
        "eval",
        [lam('"v" * 2.0'), lam('"double" + 1.0')],
        **{"as": ["double", "plus"], "tags": [], "keep": False, "keepList": None},
    )
    n.point(pt(0, {"v": 2.0, "w": 1.0}), 0)
    assert take(n)[0].fields == {"double": 4.0, "plus": 5.0}
    n = rt(
        "eval", [lam('"v" * 2.0')], **{"as": ["double"], "tags": [], "keep": True, "keepList": None}
    )
    n.point(pt(0, {"v": 2.0, "w": 1.0}), 0)
    assert take(n)[0].fields == {"v": 2.0, "w": 1.0, "double": 4.0}
    n = rt(
        "eval",
        [lam('"v" * 2.0')],
        **{"as": ["double"], "tags": [], "keep": True, "keepList": ["double", "w"]},
    )
    n.point(pt(0, {"v": 2.0, "w": 1.0}), 0)
    assert take(n)[0].fields == {"double": 4.0, "w": 1.0}


def test_eval_tags_change_group_and_errors_drop() -> None:
    n = rt(
        "eval", [lam("'x'")], **{"as": ["host"], "tags": ["host"], "keep": True, "keepList": None}
    )
    n.point(pt(0, {"v": 1.0}, {"host": "a"}, dims=("host",)), 0)
    [p] = take(n)
    assert p.tags == {"host": "x"} and p.group == "host=x" and p.fields["host"] == "x"
    n = rt(
        "eval", [lam('"nope" + 1')], **{"as": ["r"], "tags": [], "keep": False, "keepList": None}
    )
    n.point(pt(0, {"v": 1.0}), 0)
    assert take(n) == [] and n.stats["eval_errors"] == 1


# -- default / delete
def test_default_fills_missing_and_empty_tags() -> None:
    n = rt("default", fields={"v": 1.0}, tags={"host": "h"})
    n.point(pt(0, {}, {"host": ""}), 0)
    n.point(pt(0, {"v": 3.0}, {"host": "a"}), 0)
    a, b = take(n)
    assert (a.fields, a.tags) == ({"v": 1.0}, {"host": "h"})
    assert (b.fields, b.tags) == ({"v": 3.0}, {"host": "a"})
    assert n.stats["fields_defaulted"] == 1 and n.stats["tags_defaulted"] == 1


def test_delete_dimension_tag_leaves_group() -> None:
    n = rt("delete", fields=["x"], tags=["host"])
    n.point(pt(0, {"x": 1, "v": 2}, {"host": "a", "dc": "z"}, dims=("dc", "host")), 0)
    [p] = take(n)
    assert p.fields == {"v": 2} and p.tags == {"dc": "z"}
    assert p.dimensions.tag_names == ("dc",) and p.group == "dc=z"
    assert n.stats == {"errors": 0, "fields_deleted": 1, "tags_deleted": 1}


# -- sample / shift / union / httpOut
def test_sample_count_and_duration() -> None:
    n = rt("sample", [3])
    for t in range(7):
        n.point(pt(t, {"v": t}), 0)
    assert [p.fields["v"] for p in take(n)] == [0, 3, 6]
    n = rt("sample", [Duration(2 * S)])
    for t in range(5):
        n.point(pt(t, {"v": t}), 0)
    assert [p.fields["v"] for p in take(n)] == [0, 2, 4]


def test_shift_batch_and_union_rename() -> None:
    n = rt("shift", [Duration(-S)])
    n.batch(Batch("cpu", {}, T0 + 5 * S, [BatchPoint(T0 + 2 * S, {}, {})]), 0)
    [b] = take(n)
    assert (secs(b.tmax), secs(b.points[0].time)) == (4, 1)
    n = rt("union", rename="all")
    n.point(pt(0, {"v": 1}), 1)
    assert take(n)[0].name == "all"


def test_http_out_keeps_last_per_group_in_first_seen_order() -> None:
    n = rt("httpOut", ["ep"])
    n.point(pt(0, {"v": 1}, {"h": "b"}, dims=("h",)), 0)
    n.point(pt(0, {"v": 1}, {"h": "a"}, dims=("h",)), 0)
    n.point(pt(1, {"v": 2}, {"h": "b"}, dims=("h",)), 0)
    res = n.result()
    assert [s["tags"]["h"] for s in res["series"]] == ["b", "a"]
    assert res["series"][0]["values"] == [["1971-01-01T00:00:01Z", 2]]
    assert rt("httpOut", ["x"]).result() == {"series": None}


def test_http_out_keeps_named_groups_on_delete_but_forgets_the_nil_group() -> None:
    n = rt("httpOut", ["ep"])
    n.point(pt(0, {"v": 1}, {"h": "b"}, dims=("h",)), 0)
    n.delete_group(DeleteGroup("h=b"), 0)
    assert [s["tags"]["h"] for s in n.result()["series"]] == ["b"]
    assert isinstance(take(n)[-1], DeleteGroup)
    nil = rt("httpOut", ["ep"])
    nil.point(pt(0, {"v": 1}), 0)
    nil.delete_group(DeleteGroup(""), 0)
    assert nil.result() == {"series": None}


def test_window_every_zero_barrier_emits_and_drops_old_points() -> None:
    n = window(period=3 * S)
    n.point(pt(0, {"v": 0}), 0)
    n.point(pt(1, {"v": 1}), 0)
    take(n)
    n.barrier(Barrier(None, T0 + 3 * S), 0)
    batch, barrier = take(n)
    assert [p.fields["v"] for p in batch.points] == [1] and secs(batch.tmax) == 3
    assert isinstance(barrier, Barrier)


def test_log_node_logs_points_and_batches_and_passes_them_on() -> None:
    n = rt("log", level="WARN", prefix="P")
    n.point(pt(1, {"v": 1.5}, {"host": "a"}, dims=("host",)), 0)
    n.batch(Batch("cpu", {}, T0 + S, [BatchPoint(T0, {"v": 2}, {})]), 0)
    assert len(take(n)) == 2
    entries = list(n.ctx.recent)
    assert [e["msg"] for e in entries] == ["point", "begin batch", "batch point", "end batch"]
    first = entries[0]
    assert first["lvl"] == "warn" and first["prefix"] == "P" and first["tag_host"] == "a"
    assert first["field_v"] == 1.5 and first["dimension_0"] == "host"
    assert first["time"] == "1971-01-01T00:00:01Z"


def test_query_builds_time_bounded_grouped_statement() -> None:
    from kapacitrio.pipeline.spec import TimeDimension

    n = rt(
        "query",
        ["SELECT mean(value) FROM cpu WHERE host = 'a'"],
        period=10 * S,
        every=10 * S,
        offset=S,
        align=True,
        groupBy=[TimeDimension(2 * S), "cpu"],
        groupByMeasurement=False,
        fill=0,
    )
    assert n.schedule(T0 + 3 * S) == T0 + 10 * S
    start, stop = n.window(T0 + 10 * S)
    assert (secs(start), secs(stop)) == (-1, 9)
    text = n.query_text(start, stop)
    assert text == (
        "SELECT mean(value) FROM cpu WHERE (host = 'a') AND time >= '1970-12-31T23:59:59Z' "
        "AND time < '1971-01-01T00:00:09Z' GROUP BY \"cpu\", time(2s) fill(0)"
    )


def test_query_must_be_one_select() -> None:
    with pytest.raises(NodeError, match="got 2 statements"):
        rt("query", ["SELECT a FROM b; SELECT c FROM d"])
    with pytest.raises(NodeError, match="not a select statement"):
        rt("query", ["DROP DATABASE x"])
    n = rt("query", ["SELECT a FROM b WHERE c = 'x;y'"])
    assert n.text == "SELECT a FROM b WHERE c = 'x;y'"


class _FakeInflux:
    """Stands in for an InfluxDB client: records queries, answers with one series."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    def get(self, name: str = "") -> _FakeInflux:
        return self

    async def series(self, q: str, db: str = "", rp: str = "", epoch: str = "") -> list[dict]:
        self.queries.append(q)
        if len(self.queries) == 2:
            raise RuntimeError("boom")
        return [
            {
                "name": "cpu",
                "tags": {"host": "a"},
                "columns": ["time", "mean"],
                "values": [[T0 + S, 1.5], [T0 + 2 * S, None]],
            }
        ]


async def test_query_schedule_runs_against_influxdb_client() -> None:
    import trio
    import trio.testing

    from kapacitrio.engine.taskmaster import open_taskmaster
    from tests.engine.helpers import Chain

    fake = _FakeInflux()
    clock = VirtualClock(T0 + 3 * S)
    services = type("Services", (), {"influxdb": fake, "alerts": None})()
    c = Chain("batch")
    c.add(
        "query",
        args=["SELECT mean(value) FROM cpu"],
        provides="batch",
        wants="batch",
        period=10 * S,
        every=10 * S,
        align=True,
        groupBy=["host"],
    )
    c.add("httpOut", args=["out"], desc="http_out")
    async with open_taskmaster(clock, services) as tm:
        task = await tm.start_task("q", c.pipeline(), [("db", "rp")])
        await trio.testing.wait_all_tasks_blocked()
        assert fake.queries == []
        clock.advance_to(T0 + 10 * S)
        await trio.testing.wait_all_tasks_blocked()
        assert fake.queries == [
            "SELECT mean(value) FROM cpu WHERE time >= '1971-01-01T00:00:00Z' AND "
            "time < '1971-01-01T00:00:10Z' GROUP BY \"host\""
        ]
        res = tm.http_out("q", "out")
        assert res["series"][0]["tags"] == {"host": "a"}
        # A row whose every field is null is dropped, as Kapacitor reads query results.
        assert res["series"][0]["values"] == [["1971-01-01T00:00:01Z", 1.5]]
        clock.advance_to(T0 + 20 * S)
        await trio.testing.wait_all_tasks_blocked()
        assert len(fake.queries) == 2
        assert task.node_stats()["query1"]["query_errors"] == 1
        # a failed query is a diagnosed error like any other: it counts in `errors` too
        assert task.node_stats()["query1"]["errors"] == 1
        assert task.node_stats()["query1"]["batches_queried"] == 1
        assert task.error == "" and task.executing


def test_cron_next() -> None:
    from kapacitrio.engine.nodes.query import cron_next

    assert cron_next("*/5 * * * *", T0 + 61 * S) == T0 + 300 * S
    assert cron_next("@hourly", T0 + S) == T0 + 3600 * S
    assert cron_next("0 */2 * * * * *", T0 + 1 * S) == T0 + 120 * S
    assert cron_next("not a cron", T0) is None


def test_query_align_group_offsets_time_buckets_to_the_window_start() -> None:
    from kapacitrio.pipeline.spec import TimeDimension

    n = rt(
        "query",
        ["SELECT max(v) FROM m"],
        period=10 * S,
        alignGroup=True,
        groupBy=[TimeDimension(4 * S)],
    )
    assert n.query_text(T0 + 3 * S, T0 + 13 * S).endswith("GROUP BY time(4s, 3s)")


def test_query_batch_time_is_the_stop_unless_grouped_by_time() -> None:
    from kapacitrio.pipeline.spec import TimeDimension

    series = {"name": "m", "columns": ["time", "v"], "values": [[T0 + S, 1], [T0 + 2 * S, 2]]}
    stop = T0 + 10 * S
    plain = rt("query", ["SELECT v FROM m"], groupBy=[], period=10 * S, every=10 * S)
    assert plain.series_batch(series, stop).tmax == stop
    by_time = rt("query", ["SELECT mean(v) FROM m"], groupBy=[TimeDimension(5 * S)], period=10 * S)
    assert by_time.series_batch(series, stop).tmax == T0 + 2 * S
    empty = {"name": "m", "columns": ["time", "v"], "values": [[T0 + S, None]]}
    assert by_time.series_batch(empty, stop).tmax == stop


def _shape(msgs: list[Any]) -> list[Any]:
    """What a window emitted, comparable across runs: kind, group, time and point times."""
    out: list[Any] = []
    for m in msgs:
        if isinstance(m, Batch):
            out.append(("batch", m.group, m.tmax, [p.time for p in m.points]))
        else:
            out.append((type(m).__name__, getattr(m, "group", None), getattr(m, "time", None)))
    return out


@pytest.mark.parametrize("every", [2 * S, 5 * S])
def test_window_chunk_path_matches_one_message_at_a_time(every: int) -> None:
    msgs: list[Any] = []
    for t in range(30):
        host = "a" if t % 3 else "b"
        msgs.append(pt(t, {"v": t}, {"h": host}, dims=("h",)))
        if t == 11:
            msgs.append(Barrier("h=a", T0 + 13 * S))
        if t == 20:
            msgs.append(DeleteGroup("h=b"))
    chunked, single = window(period=6 * S, every=every), window(period=6 * S, every=every)
    assert chunked.point_chunk(msgs, 0) == sum(1 for m in msgs if isinstance(m, Point))
    for m in msgs:
        if isinstance(m, Point):
            single.point(m, 0)
        elif isinstance(m, Barrier):
            single.barrier(m, 0)
        else:
            single.delete_group(m, 0)
    assert _shape(take(chunked)) == _shape(take(single))
    assert window(periodCount=3, everyCount=1).point_chunk(msgs, 0) == -1
