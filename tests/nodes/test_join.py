"""join driven directly: matching by group and time, fill, tolerance, on-dimensions, batches."""

from kapacitrio.engine.nodes.join import round_time
from kapacitrio.models.point import Barrier, Batch, Point
from tests.nodes.helpers import T0, S, bt, node, pt, secs, take


def join(**props):
    props.setdefault("as", ["a", "b"])
    props.setdefault("delimiter", ".")
    return node("join", parents=2, **props)


def test_round_time_like_go():
    assert round_time(T0 + 499_999_999, S) == T0
    assert round_time(T0 + 500_000_000, S) == T0 + S
    assert round_time(T0 + 7, 0) == T0 + 7


def test_inner_join_emits_when_complete():
    n = join()
    n.point(pt(0, {"v": 1}, {"host": "A", "x": "1"}, ("host",)), 0)
    assert take(n) == []
    n.point(pt(0, {"v": 2}, {"host": "A", "y": "2"}, ("host",)), 1)
    (p,) = take(n)
    assert isinstance(p, Point)
    assert p.fields == {"a.v": 1, "b.v": 2}
    assert p.tags == {"host": "A"}
    assert p.group == "host=A" and secs(p.time) == 0


def test_groups_are_separate_and_incomplete_sets_dropped_without_fill():
    n = join()
    n.point(pt(0, {"v": 1}, {"host": "A"}, ("host",)), 0)
    n.point(pt(0, {"v": 2}, {"host": "B"}, ("host",)), 1)
    assert take(n) == []
    n.point(pt(1, {"v": 3}, {"host": "A"}, ("host",)), 0)
    n.point(pt(1, {"v": 4}, {"host": "A"}, ("host",)), 1)
    out = take(n)
    assert [(secs(p.time), p.fields) for p in out] == [(1, {"a.v": 3, "b.v": 4})]


def test_fill_number_and_null():
    n = join(fill=0.0)
    n.point(pt(0, {"v": 1}), 0)
    n.point(pt(1, {"v": 2}), 1)
    n.point(pt(1, {"v": 3}), 0)
    out = take(n)
    assert [(secs(p.time), p.fields) for p in out] == [
        (0, {"a.v": 1, "b.v": 0.0}),
        (1, {"a.v": 3, "b.v": 2}),
    ]
    n = join(fill="null")
    n.point(pt(0, {"v": 1}), 0)
    n.point(pt(1, {"v": 2}), 1)
    assert take(n) == []
    n.point(pt(2, {"v": 3}), 0)
    assert [p.fields for p in take(n)] == [{"a.v": 1}]
    n.finish()
    assert [p.fields for p in take(n)] == [{"b.v": 2}, {"a.v": 3}]


def test_tolerance_rounds_times_and_stream_name():
    n = join(tolerance=S, streamName="joined")
    n.point(pt(0.2, {"v": 1}), 0)
    n.point(pt(-0.3, {"v": 2}), 1)
    (p,) = take(n)
    assert p.name == "joined" and p.time == T0


def test_barrier_advances_a_parent():
    n = join(fill=-1)
    n.point(pt(0, {"v": 1}), 0)
    n.point(pt(1, {"v": 2}), 0)
    assert take(n) == []
    n.barrier(Barrier("", T0 + 5 * S), 1)
    out = take(n)
    assert [(secs(p.time), p.fields) for p in out if isinstance(p, Point)] == [
        (0, {"a.v": 1, "b.v": -1})
    ]


def test_finish_flushes_with_fill():
    n = join(fill=0)
    n.point(pt(0, {"v": 1}), 0)
    n.finish()
    assert [p.fields for p in take(n)] == [{"a.v": 1, "b.v": 0}]


def test_join_on_dimension_pairs_specific_points():
    n = join(**{"as": ["disk", "lock"], "on": ["host"], "fill": "null"})
    lock = pt(0, {"count": 0}, {"host": "A"}, ("host",), name="lock")
    n.point(lock, 1)
    n.point(pt(0, {"used": 50}, {"host": "A", "path": "/"}, ("host", "path"), name="disk"), 0)
    n.point(pt(0, {"used": 40}, {"host": "A", "path": "/tmp"}, ("host", "path"), name="disk"), 0)
    out = take(n)
    assert [(p.tags, p.fields, p.name) for p in out] == [
        ({"host": "A", "path": "/"}, {"disk.used": 50, "lock.count": 0}, "disk"),
        ({"host": "A", "path": "/tmp"}, {"disk.used": 40, "lock.count": 0}, "disk"),
    ]
    assert out[0].group == "host=A,path=/"


def test_batch_join_point_by_point():
    n = join(fill=0.0)
    left = bt(10, [(0, {"v": 1.0}), (5, {"v": 2.0})], {"host": "A"}, ("host",))
    right = bt(10, [(5, {"v": 20.0})], {"host": "A"}, ("host",))
    n.batch(left, 0)
    n.batch(right, 1)
    (b,) = take(n)
    assert isinstance(b, Batch) and secs(b.tmax) == 10
    assert [(secs(bp.time), bp.fields) for bp in b.points] == [
        (0, {"a.v": 1.0, "b.v": 0.0}),
        (5, {"a.v": 2.0, "b.v": 20.0}),
    ]
    assert b.points[0].tags == {"host": "A"}


def test_batch_inner_join_drops_unmatched_points():
    n = join()
    n.batch(bt(10, [(0, {"v": 1.0}), (5, {"v": 2.0})]), 0)
    n.batch(bt(10, [(5, {"v": 20.0})]), 1)
    (b,) = take(n)
    assert [bp.fields for bp in b.points] == [{"a.v": 2.0, "b.v": 20.0}]


def test_delete_group_forgets_one_side_unless_delete_all():
    from kapacitrio.models.point import DeleteGroup

    n = join(fill=0)
    n.point(pt(0, {"v": 1}, {"host": "A"}, ("host",)), 0)
    n.point(pt(0, {"w": 2}, {"host": "B"}, ("host",)), 1)
    n.delete_group(DeleteGroup("host=A"), 1)  # the other side's delete: A's left part stays
    assert [type(m) for m in take(n)] == [DeleteGroup]
    assert n.cardinality() == 2
    n.delete_group(DeleteGroup("host=A"), 0)
    assert n.cardinality() == 1
    take(n)
    n.finish()
    assert [p.fields for p in take(n)] == [{"a.w": 0, "b.w": 2}]
    n = join(fill=0, deleteAll=True)
    n.point(pt(0, {"v": 1}, {"host": "A"}, ("host",)), 0)
    n.delete_group(DeleteGroup("host=A"), 1)
    assert n.cardinality() == 0
