"""InfluxQL function nodes driven directly with points and batches."""

import math

import pytest
import trio

from kapacitrio.models.point import Batch, Point
from tests.nodes.helpers import T0, FakeCtx, S, bt, node, pt, secs, take

VALUES = [98, 91, 95, 93, 92, 95, 92, 96, 93, 95]


def window(values=VALUES, tags=None, kind=float, extra=None):
    tags = tags or {"host": "A", "type": "idle"}
    pts = []
    for i, v in enumerate(values):
        fields = {"value": kind(v)}
        if extra:
            fields.update(extra(i))
        pts.append((i, fields))
    return bt(10, pts, tags, dims=("host",))


def run(kind, args, b, **props):
    props.setdefault("as", kind)
    n = node(kind, args, **props)
    n.batch(b, 0)
    return n, take(n)


@pytest.mark.parametrize(
    "kind,expected",
    [
        ("count", 10),
        ("sum", 940.0),
        ("mean", 94.0),
        ("median", 94.0),
        ("mode", 95.0),
        ("spread", 7.0),
    ],
)
def test_aggregates_emit_one_point_with_group_tags(kind, expected):
    _, out = run(kind, ["value"], window())
    assert len(out) == 1
    p = out[0]
    assert isinstance(p, Point)
    assert p.fields == {kind: pytest.approx(expected)}
    assert p.tags == {"host": "A"}
    assert secs(p.time) == 10
    assert p.group == "host=A"


def test_stddev_value():
    _, out = run("stddev", ["value"], window([98, 91, 95, 93, 92, 95, 92, 96, 93, 95]))
    mean = sum(VALUES) / 10
    want = math.sqrt(sum((v - mean) ** 2 for v in VALUES) / 9)
    assert out[0].fields["stddev"] == pytest.approx(want)


def test_types_follow_input():
    _, out = run("sum", ["value"], window(kind=int))
    assert out[0].fields["sum"] == 940 and type(out[0].fields["sum"]) is int
    _, out = run("mean", ["value"], window(kind=int))
    assert type(out[0].fields["mean"]) is float
    _, out = run("spread", ["value"], window(kind=int))
    assert out[0].fields["spread"] == 7 and type(out[0].fields["spread"]) is int
    _, out = run("count", ["value"], window(kind=str))
    assert out[0].fields["count"] == 10


def test_median_even_count_averages_middles():
    _, out = run("median", ["value"], window([1, 2, 3, 10], kind=int))
    assert out[0].fields["median"] == 2.5


def test_empty_batch_only_count_and_sum_emit():
    empty = bt(10, [], {"host": "A"}, dims=("host",))
    for kind, want in (("count", 0), ("sum", 0)):
        _, out = run(kind, ["value"], empty)
        assert [p.fields for p in out] == [{kind: want}]
    for kind in ("mean", "first", "max", "distinct", "top"):
        args = [2, "value"] if kind == "top" else ["value"]
        _, out = run(kind, args, empty)
        assert out == []


def test_stddev_of_single_value_emits_nothing():
    _, out = run("stddev", ["value"], window([5]))
    assert out == []


def test_selector_keeps_other_fields_and_all_tags():
    b = window(extra=lambda i: {"another": i})
    _, out = run("last", ["value"], b)
    assert out[0].fields == {"another": 9, "last": 95.0}
    assert out[0].tags == {"host": "A", "type": "idle"}
    assert secs(out[0].time) == 10
    _, out = run("first", ["value"], b, usePointTimes=True)
    assert out[0].fields == {"another": 0, "first": 98.0}
    assert secs(out[0].time) == 0


def test_min_max_earliest_wins_ties():
    _, out = run("max", ["value"], window(), usePointTimes=True)
    assert out[0].fields["max"] == 98.0 and secs(out[0].time) == 0
    _, out = run("min", ["value"], window(), usePointTimes=True)
    assert out[0].fields["min"] == 91.0 and secs(out[0].time) == 1
    _, out = run("max", ["value"], window([1, 5, 5]), usePointTimes=True)
    assert secs(out[0].time) == 1


def test_percentile_nearest_rank():
    _, out = run("percentile", ["value", 90.0], window(), usePointTimes=True)
    # sorted: 91 92 92 93 93 95 95 95 96 98 -> index floor(10*0.9+0.5)-1 = 8 -> 96
    assert out[0].fields["percentile"] == 96.0
    assert secs(out[0].time) == 7
    _, out = run("percentile", ["value", 1.0], window())
    assert out == []


def test_distinct_in_first_seen_order_as_batch():
    _, out = run("distinct", ["value"], window())
    assert len(out) == 1 and isinstance(out[0], Batch)
    assert [bp.fields["distinct"] for bp in out[0].points] == [98.0, 91.0, 95.0, 93.0, 92.0, 96.0]
    assert all(secs(bp.time) == 10 for bp in out[0].points)
    assert out[0].tags == {"host": "A"}


def test_top_and_bottom():
    _, out = run("top", [2, "value"], window(), usePointTimes=True)
    b = out[0]
    assert [(bp.fields, secs(bp.time)) for bp in b.points] == [
        ({"top": 98.0}, 0),
        ({"top": 96.0}, 7),
    ]
    assert b.points[0].tags == {"host": "A", "type": "idle"}
    _, out = run("bottom", [3, "value"], window())
    assert [bp.fields["bottom"] for bp in out[0].points] == [91.0, 92.0, 92.0]
    assert all(secs(bp.time) == 10 for bp in out[0].points)


def test_top_distinct_by_tag():
    pts = [(0, {"v": 5.0}), (1, {"v": 9.0}), (2, {"v": 7.0}), (3, {"v": 1.0})]
    b = bt(4, pts, {"game": "g"}, dims=("game",))
    players = ["p1", "p1", "p2", "p3"]
    for bp, pl in zip(b.points, players, strict=False):
        bp.tags = {"game": "g", "player": pl}
    _, out = run("top", [2, "v", "player"], b)
    assert [(bp.fields["top"], bp.tags["player"]) for bp in out[0].points] == [
        (9.0, "p1"),
        (7.0, "p2"),
    ]


def test_missing_field_is_an_error_and_skipped():
    ctx = FakeCtx()
    n = node("mean", ["value"], ctx=ctx, **{"as": "mean"})
    n.batch(bt(3, [(0, {"value": 1.0}), (1, {"other": 5.0}), (2, {"value": 3.0})]), 0)
    assert [p.fields for p in take(n)] == [{"mean": 2.0}]
    assert n.stats["errors"] == 1 and len(ctx.errors) == 1


def test_mixed_types_are_an_error():
    n = node("sum", ["value"], **{"as": "sum"})
    n.batch(bt(3, [(0, {"value": 1}), (1, {"value": 2.5})]), 0)
    assert [p.fields for p in take(n)] == [{"sum": 1}]
    assert n.stats["errors"] == 1


def test_mean_of_strings_is_an_error():
    n = node("mean", ["value"], **{"as": "mean"})
    n.batch(bt(3, [(0, {"value": "a"})]), 0)
    assert take(n) == [] and n.stats["errors"] == 1


def test_stream_accumulates_same_time_points_per_group():
    n = node("mean", ["value"], **{"as": "mean"})
    n.point(pt(0, {"value": 1.0}, {"host": "A"}, ("host",)), 0)
    n.point(pt(0, {"value": 3.0}, {"host": "A"}, ("host",)), 0)
    n.point(pt(0, {"value": 10.0}, {"host": "B"}, ("host",)), 0)
    assert take(n) == []
    n.point(pt(1, {"value": 5.0}, {"host": "A", "x": "y"}, ("host",)), 0)
    out = take(n)
    assert [(p.fields, p.tags, secs(p.time)) for p in out] == [({"mean": 2.0}, {"host": "A"}, 0)]
    assert n.cardinality() == 2


def test_stream_missing_field_points_do_not_emit():
    n = node("mean", ["x"], **{"as": "mean"})
    n.point(pt(0, {"value": 1.0}), 0)
    n.point(pt(1, {"x": 4.0}), 0)
    n.point(pt(1, {"value": 1.0}), 0)
    assert take(n) == [] and n.stats["errors"] == 2
    n.point(pt(2, {"value": 1.0}), 0)
    assert [(p.fields, secs(p.time)) for p in take(n)] == [({"mean": 4.0}, 1)]


# -- transforms


def test_difference_stream_per_group():
    n = node("difference", ["value"], **{"as": "difference"})
    for t, v in [(0, 10), (1, 15), (2, 12)]:
        n.point(pt(t, {"value": v}, {"host": "A"}, ("host",)), 0)
    out = take(n)
    assert [(p.fields, secs(p.time)) for p in out] == [
        ({"difference": 5}, 1),
        ({"difference": -3}, 2),
    ]
    assert type(out[0].fields["difference"]) is int


def test_transforms_on_batch_restart_each_batch():
    n = node("cumulativeSum", ["value"], **{"as": "cumulativeSum"})
    b = bt(3, [(0, {"value": 1.0}), (1, {"value": 2.0}), (2, {"value": 3.0})])
    n.batch(b, 0)
    n.batch(b, 0)
    outs = take(n)
    assert [[bp.fields["cumulativeSum"] for bp in o.points] for o in outs] == [[1.0, 3.0, 6.0]] * 2


def test_elapsed_and_moving_average():
    n = node("elapsed", ["value", S], **{"as": "elapsed"})
    for t in (0, 1, 3):
        n.point(pt(t, {"value": 1.0}), 0)
    assert [p.fields["elapsed"] for p in take(n)] == [1, 2]
    n = node("movingAverage", ["value", 2], **{"as": "movingAverage"})
    for t, v in [(0, 1), (1, 3), (2, 5)]:
        n.point(pt(t, {"value": v}), 0)
    assert [p.fields["movingAverage"] for p in take(n)] == [2.0, 4.0]


def test_holt_winters_forecast_matches_influxql():
    vals = [1000, 1001, 1002, 1003, 1004, 1006, 1007, 1007, 1008, 1009]
    n = node("holtWinters", ["value", 3, 0, S], **{"as": "holtWinters"})
    n.batch(
        bt(10, [(i, {"value": float(v)}) for i, v in enumerate(vals)], {"host": "A"}, ("host",)), 0
    )
    (b,) = take(n)
    assert [secs(bp.time) for bp in b.points] == [10, 11, 12]
    got = [bp.fields["holtWinters"] for bp in b.points]
    assert got == pytest.approx(
        [1009.324690106368, 1009.7524349889708, 1010.105056042826], rel=1e-12
    )


def test_holt_winters_with_fit_includes_fitted_points():
    vals = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    n = node("holtWintersWithFit", ["value", 2, 0, S], **{"as": "holtWinters"})
    n.batch(bt(6, [(i, {"value": v}) for i, v in enumerate(vals)]), 0)
    (b,) = take(n)
    assert [secs(bp.time) for bp in b.points] == list(range(8))
    assert b.points[0].fields["holtWinters"] == 1.0


def test_stream_barrier_completes_pending_time():
    from kapacitrio.models.point import Barrier

    n = node("count", ["value"], **{"as": "count"})
    n.point(pt(0, {"value": 1.0}, {"host": "A"}, ("host",)), 0)
    n.point(pt(0, {"value": 2.0}, {"host": "A"}, ("host",)), 0)
    n.barrier(Barrier("host=A", T0), 0)  # not past the pending time yet
    assert [type(m) for m in take(n)] == [Barrier]
    n.barrier(Barrier(None, T0 + 1), 0)
    out = take(n)
    assert [type(m) for m in out] == [Point, Barrier]
    assert out[0].fields == {"count": 2} and n.cardinality() == 0


def test_kapacitor_shapes_and_messages():
    empty = bt(10, [], {"host": "A"}, dims=("host",))
    _, out = run("sum", ["value"], empty)
    assert type(out[0].fields["sum"]) is float
    _, out = run("count", ["value"], empty)
    assert type(out[0].fields["count"]) is int
    # transforms keep only the group tags
    n = node("difference", ["value"], **{"as": "difference"})
    for t in (0, 1):
        n.point(pt(t, {"value": t}, {"host": "A", "x": "y"}, ("host",)), 0)
    assert take(n)[0].tags == {"host": "A"}
    # top/bottom points carry the selected point's tags and only the `as` field
    b = window(extra=lambda i: {"another": i})
    _, out = run("top", [1, "value", "another"], b)
    assert out[0].points[0].fields == {"top": 98.0}
    ctx = FakeCtx()
    n = node("mean", ["value"], ctx=ctx, **{"as": "mean"})
    n.batch(bt(3, [(0, {"value": 1.0}), (1, {"value": 2}), (2, {"v": 1.0})]), 0)
    assert [m for _, m in ctx.errors] == [
        "field value has wrong type: got int64 exp float64",
        'field "value" missing from point',
    ]
    ctx = FakeCtx()
    n = node("mean", ["value"], ctx=ctx, **{"as": "mean"})
    n.batch(bt(3, [(0, {"value": "a"})]), 0)
    assert ctx.errors[0][1] == "cannot apply mean to string field"


def test_first_and_last_break_time_ties_by_the_larger_value():
    pts = [(0, {"value": 1.0}), (0, {"value": 3.0}), (1, {"value": 5.0}), (1, {"value": 4.0})]
    _, out = run("first", ["value"], bt(2, pts))
    assert out[0].fields["first"] == 3.0
    _, out = run("last", ["value"], bt(2, pts))
    assert out[0].fields["last"] == 5.0


def test_holt_winters_seasonal_forecast_follows_the_season():
    from kapacitrio.engine.nodes.holtwinters import forecast

    season = [10.0, 20.0, 30.0, 20.0]
    series = [(T0 + i * S, season[i % 4] + i * 0.1) for i in range(16)]
    out = forecast(series, 4, 4, S, False)
    assert [t for t, _ in out] == [T0 + (16 + i) * S for i in range(4)]
    values = [v for _, v in out]
    # the forecast keeps the shape of the season: low, rising, peak, falling
    assert values[0] < values[1] < values[2] and values[3] < values[2]
    assert forecast(series[:3], 2, 4, S, False) == []  # fewer points than a season
    assert forecast(series, 0, 4, S, False) == []


async def test_large_holt_winters_batches_are_forecast_off_the_event_loop(monkeypatch, nursery):
    from kapacitrio.engine.nodes import influxql
    from kapacitrio.models.point import Barrier

    monkeypatch.setattr(influxql, "SYNC_FORECAST_POINTS", 2)
    n = node("holtWinters", ["value", 2, 0, S], **{"as": "holtWinters"})
    got = []

    async def flusher():
        got.extend(take(n))

    n._flusher = flusher
    nursery.start_soon(n.run_background)
    n.batch(bt(4, [(i, {"value": float(i)}) for i in range(4)]), 0)
    n.barrier(Barrier(None, T0 + 10 * S), 0)  # held behind the forecast
    assert n.out == []
    for _ in range(500):
        if len(got) == 2:
            break
        await trio.sleep(0.01)
    assert isinstance(got[0], Batch) and isinstance(got[1], Barrier)
    assert [secs(bp.time) for bp in got[0].points] == [4, 5]


def test_count_over_a_batch_skips_and_counts_bad_points():
    b = bt(10, [(0, {"value": 1.0}), (1, {"other": 1.0}), (2, {"value": "x"}), (3, {"value": 2.0})])
    n, out = run("count", ["value"], b)
    assert [p.fields for p in out] == [{"count": 2}]
    assert n.stats["errors"] == 2
