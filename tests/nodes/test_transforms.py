"""derivative, changeDetect, stateDuration/stateCount, trickle, combine and flatten."""

from kapacitrio.models.point import Batch, Point
from kapacitrio.tick.parser import parse_expression
from tests.nodes.helpers import FakeCtx, S, bt, node, pt, secs, take


def test_derivative_per_group_with_unit_and_as():
    n = node("derivative", ["v"], unit=S, nonNegative=False, **{"as": "rate"})
    n.point(pt(0, {"v": 10}, {"h": "A"}, ("h",)), 0)
    n.point(pt(0, {"v": 99}, {"h": "B"}, ("h",)), 0)
    assert take(n) == []
    n.point(pt(2, {"v": 14}, {"h": "A"}, ("h",)), 0)
    (p,) = take(n)
    assert p.fields == {"v": 14, "rate": 2.0} and secs(p.time) == 2
    n = node("derivative", ["v"], unit=60 * S, **{"as": "v"})
    n.point(pt(0, {"v": 10.0}), 0)
    n.point(pt(30, {"v": 20.0}), 0)
    assert take(n)[0].fields == {"v": 20.0}


def test_derivative_non_negative_and_zero_elapsed():
    n = node("derivative", ["v"], unit=S, nonNegative=True, **{"as": "v"})
    for t, v in [(0, 10), (1, 5), (1, 7), (2, 9)]:
        n.point(pt(t, {"v": v}), 0)
    assert [(secs(p.time), p.fields["v"]) for p in take(n)] == [(2, 2.0)]


def test_derivative_bad_type_is_error_and_keeps_previous():
    n = node("derivative", ["v"], unit=S, **{"as": "v"})
    n.point(pt(0, {"v": 1}), 0)
    n.point(pt(1, {"v": "x"}), 0)
    n.point(pt(2, {"v": 5}), 0)
    assert [p.fields["v"] for p in take(n)] == [2.0]
    assert n.stats["errors"] == 1


def test_derivative_batch_resets_each_batch():
    n = node("derivative", ["v"], unit=S, **{"as": "v"})
    b = bt(4, [(0, {"v": 1.0}), (2, {"v": 5.0}), (4, {"v": 6.0})])
    n.batch(b, 0)
    n.batch(b, 0)
    assert [[bp.fields["v"] for bp in o.points] for o in take(n)] == [[2.0, 0.5]] * 2


def test_change_detect():
    n = node("changeDetect", ["v"])
    for t, v in enumerate([1, 1, 2, 2, 1]):
        n.point(pt(t, {"v": v}, {"h": "A"}, ("h",)), 0)
    n.point(pt(9, {"v": 1}, {"h": "B"}, ("h",)), 0)
    n.point(pt(10, {"x": 1}, {"h": "B"}, ("h",)), 0)
    assert [(p.tags["h"], secs(p.time)) for p in take(n)] == [
        ("A", 0),
        ("A", 2),
        ("A", 4),
        ("B", 9),
    ]
    assert n.stats["errors"] == 1


def test_change_detect_batch_keeps_state_across_batches():
    n = node("changeDetect", ["v"])
    n.batch(bt(3, [(0, {"v": 1}), (1, {"v": 1}), (2, {"v": 2})]), 0)
    n.batch(bt(5, [(3, {"v": 2}), (4, {"v": 3})]), 0)
    assert [[secs(bp.time) for bp in b.points] for b in take(n)] == [[0, 2], [4]]


def lam(text):
    """A lambda body as the pipeline hands it to nodes."""
    return parse_expression(text)


def test_state_duration_and_count():
    hot = lam('"v" > 10')
    d = node("stateDuration", [hot], unit=S, **{"as": "d"})
    c = node("stateCount", [hot], **{"as": "c"})
    for t, v in [(0, 11), (2, 12), (3, 5), (4, 15)]:
        d.point(pt(t, {"v": v}), 0)
        c.point(pt(t, {"v": v}), 0)
    assert [p.fields["d"] for p in take(d)] == [0.0, 2.0, -1.0, 0.0]
    counts = [p.fields["c"] for p in take(c)]
    assert counts == [1, 2, -1, 1] and all(type(x) is int for x in counts)


def test_state_error_drops_point():
    ctx = FakeCtx()
    c = node("stateCount", [lam('"v" > 0')], ctx=ctx, **{"as": "c"})
    c.point(pt(0, {"v": 1}), 0)
    c.point(pt(1, {"x": 1}), 0)
    c.point(pt(2, {"v": 1}), 0)
    assert [p.fields["c"] for p in take(c)] == [1, 2]
    assert c.stats["errors"] == 1
    assert ctx.errors[0][1].startswith("error while evaluating expression: ")


def test_trickle_turns_batch_into_points():
    n = node("trickle")
    b = bt(5, [(0, {"v": 1}), (1, {"v": 2})], {"host": "A", "x": "y"}, ("host",))
    n.batch(b, 0)
    out = take(n)
    assert all(isinstance(p, Point) for p in out)
    assert [(secs(p.time), p.fields, p.tags, p.group) for p in out] == [
        (0, {"v": 1}, {"host": "A", "x": "y"}, "host=A"),
        (1, {"v": 2}, {"host": "A", "x": "y"}, "host=A"),
    ]


def test_combine_pairs_in_arrival_order():
    true = lam("TRUE")
    n = node("combine", [true, true], delimiter=".", tolerance=S, max=1000, **{"as": ["a", "b"]})
    for svc, v in [("auth", 1), ("log", 2), ("cart", 3)]:
        n.point(pt(0, {"value": v}, {"dc": "A", "service": svc}, ("dc",)), 0)
    assert take(n) == []
    n.point(pt(1, {"value": 9}, {"dc": "A", "service": "x"}, ("dc",)), 0)
    out = take(n)
    assert [(p.tags["a.service"], p.tags["b.service"]) for p in out] == [
        ("auth", "log"),
        ("auth", "cart"),
        ("log", "cart"),
    ]
    assert out[0].fields == {"a.value": 1, "b.value": 2}
    assert out[0].tags["dc"] == "A" and "a.dc" not in out[0].tags


def test_combine_filtered_and_max():
    auth = lam("\"service\" == 'auth'")
    true = lam("TRUE")
    n = node("combine", [auth, true], delimiter=".", tolerance=0, max=1000, **{"as": ["auth", "o"]})
    for svc in ("log", "auth", "cart"):
        n.point(pt(0, {"value": 1}, {"service": svc}), 0)
    n.point(pt(1, {"value": 1}, {"service": "x"}), 0)
    assert sorted(p.tags["o.service"] for p in take(n)) == ["cart", "log"]
    n = node("combine", [true, true], delimiter=".", tolerance=0, max=2, **{"as": ["a", "b"]})
    for svc in ("log", "auth", "cart"):
        n.point(pt(0, {"value": 1}, {"service": svc}), 0)
    n.point(pt(1, {"value": 1}, {"service": "x"}), 0)
    assert take(n) == [] and n.stats["errors"] == 1


def test_flatten_stream_and_batch():
    n = node(
        "flatten", on=["service", "host"], delimiter=".", tolerance=S, dropOriginalFieldName=False
    )
    for svc, host, v in [("auth", "s1", 1), ("auth", "s2", 2), ("log", "s1", 3)]:
        n.point(pt(0.1, {"value": v}, {"dc": "A", "service": svc, "host": host}, ("dc",)), 0)
    assert take(n) == []
    n.point(pt(2, {"value": 0}, {"dc": "A", "service": "x", "host": "y"}, ("dc",)), 0)
    (p,) = take(n)
    assert p.fields == {"auth.s1.value": 1, "auth.s2.value": 2, "log.s1.value": 3}
    assert p.tags == {"dc": "A"} and secs(p.time) == 0
    n = node("flatten", on=["service"], delimiter="_", tolerance=0, dropOriginalFieldName=True)
    b = bt(1, [(0, {"value": 1}), (0, {"value": 2}), (1, {"value": 3})])
    for bp, svc in zip(b.points, ["a", "b", "a"], strict=True):
        bp.tags = {"service": svc}
    n.batch(b, 0)
    (out,) = take(n)
    assert isinstance(out, Batch)
    assert [(secs(bp.time), bp.fields) for bp in out.points] == [
        (0, {"a": 1, "b": 2}),
        (1, {"a": 3}),
    ]


def test_state_count_restarts_each_batch():
    hot = lam('"v" > 10')
    c = node("stateCount", [hot], **{"as": "c"})
    c.batch(bt(1, [(0, {"v": 11}), (1, {"v": 12})]), 0)
    c.batch(bt(3, [(2, {"v": 13}), (3, {"v": 1})]), 0)
    assert [[bp.fields["c"] for bp in b.points] for b in take(c)] == [[1, 2], [1, -1]]


def test_combine_batch_by_rounded_time():
    true = lam("TRUE")
    n = node(
        "combine", [true, true], delimiter=".", tolerance=5 * S, max=1000, **{"as": ["a", "b"]}
    )
    pts = [(0, {"v": 1}), (5, {"v": 3}), (1, {"v": 2}), (6, {"v": 4})]
    b = bt(10, pts, {"dc": "A"}, ("dc",))
    for bp, svc in zip(b.points, ["cart", "cart", "auth", "auth"], strict=True):
        bp.tags = {"dc": "A", "service": svc}
    n.batch(b, 0)
    out = take(n)
    assert [(secs(p.time), p.fields) for p in out] == [
        (0, {"a.v": 1, "b.v": 2}),
        (5, {"a.v": 3, "b.v": 4}),
    ]
    assert all(isinstance(p, Point) for p in out)


def test_flatten_and_combine_flush_on_barrier():
    from kapacitrio.engine.nodes.join import closed_by
    from kapacitrio.models.point import Barrier

    assert closed_by(10, 0, 11) and not closed_by(10, 0, 10)
    assert not closed_by(10 * S, S, 10 * S + S // 2 - 1) and closed_by(10 * S, S, 10 * S + S // 2)
    n = node("flatten", on=["service"], delimiter=".", tolerance=0, dropOriginalFieldName=False)
    n.point(pt(0, {"v": 1}, {"service": "a"}), 0)
    n.barrier(Barrier(None, pt(1, {}).time), 0)
    out = take(n)
    assert [type(m) for m in out] == [Point, Barrier] and out[0].fields == {"a.v": 1}
    true = lam("TRUE")
    n = node("combine", [true, true], delimiter=".", tolerance=0, max=10, **{"as": ["a", "b"]})
    n.point(pt(0, {"v": 1}, {"s": "x"}), 0)
    n.point(pt(0, {"v": 2}, {"s": "y"}), 0)
    n.barrier(Barrier("", pt(1, {}).time), 0)
    out = take(n)
    assert [type(m) for m in out] == [Point, Barrier] and out[0].fields == {"a.v": 1, "b.v": 2}


def test_change_detect_compares_with_the_last_passed_point():
    n = node("changeDetect", ["a", "b"])
    n.point(pt(0, {"a": 1, "b": 1}), 0)
    n.point(pt(1, {"a": 1}), 0)  # b missing: an error, a unchanged: dropped
    n.point(pt(2, {"a": 1, "b": 2}), 0)  # b differs from the last passed point
    n.point(pt(3, {"a": 2}), 0)  # a changed, b missing: passes
    assert [secs(p.time) for p in take(n)] == [0, 2, 3]
    assert n.stats["errors"] == 1  # at 3 the change in a is found before b is looked at
