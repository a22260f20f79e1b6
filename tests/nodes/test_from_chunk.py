"""from(): the whole-chunk path gives exactly what point-by-point handling gives."""

from __future__ import annotations

import pytest

from kapacitrio.engine.nodes._common import STAR
from kapacitrio.engine.nodes.stream import FromRuntime
from kapacitrio.models.chunk import PointChunk
from kapacitrio.models.point import Barrier, Point
from tests.nodes.helpers import FakeCtx, pt, spec


def _from(**props):
    return FromRuntime(spec("from", **props), FakeCtx())


def _chunk():
    return [
        pt(1, {"v": 1.0}, {"host": "a"}),
        pt(2, {"v": 2.0}, {"host": "b"}, name="mem"),
        pt(3, {"v": 3.0}, {"host": "a"}, dims=("host",)),  # already grouped upstream
        Point("cpu", {"host": "c"}, {"v": 4.0}, 4, "other", "rp"),
        Point("cpu", {}, {"v": 5.0}, 5, "db", "rp2"),
    ]


def _rows(msgs):
    return [(m.name, m.tags, m.fields, m.time, m.db, m.rp, m.group, m.dimensions) for m in msgs]


@pytest.mark.parametrize(
    "props",
    [
        {},
        {"measurement": "cpu"},
        {"measurement": "cpu", "database": "db"},
        {"retentionPolicy": "rp"},
        {"measurement": "cpu", "groupBy": ["host"]},
        {"groupBy": ["host"], "groupByMeasurement": True},
    ],
)
def test_chunk_equals_points(props) -> None:
    one, whole = _from(**props), _from(**props)
    for p in _chunk():
        one.point(p, 0)
    assert whole.point_chunk(_chunk(), 0) == 5
    assert _rows(whole.out) == _rows(one.out)


@pytest.mark.parametrize("props", [{"truncate": 10}, {"round": 10}, {"groupBy": [STAR]}])
def test_settings_that_need_each_point_hand_the_chunk_back(props) -> None:
    assert _from(**props).point_chunk(_chunk(), 0) == -1


def test_a_chunk_with_other_messages_is_handed_back() -> None:
    f = _from(measurement="cpu")
    assert f.point_chunk([*_chunk(), Barrier("", 9)], 0) == -1
    assert f.out == []


def _fresh(*names: str) -> PointChunk:
    return PointChunk(
        Point(n, {"host": "a"}, {"v": float(i)}, i, "db", "rp") for i, n in enumerate(names)
    )


@pytest.mark.parametrize(
    "names", [("cpu", "cpu"), ("cpu", "mem", "cpu"), ("mem", "mem"), ("cpu",), ()]
)
@pytest.mark.parametrize("props", [{}, {"measurement": "cpu"}])
def test_fresh_chunk_equals_points(names, props) -> None:
    one, whole = _from(**props), _from(**props)
    for p in _fresh(*names):
        one.point(p, 0)
    assert whole.point_chunk(_fresh(*names), 0) == len(names)
    assert _rows(whole.out) == _rows(one.out)


def test_fresh_chunk_of_one_measurement_is_passed_on_as_it_is() -> None:
    chunk = _fresh("cpu", "cpu")
    f = _from(measurement="cpu")
    f.point_chunk(chunk, 0)
    assert f.out is chunk
    assert chunk.names() == {"cpu"}
