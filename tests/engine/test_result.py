"""Kapacitor's Result JSON for points and batches."""

from __future__ import annotations

from kapacitrio.models.point import Batch, BatchPoint, Point
from kapacitrio.models.result import batch_to_row, point_to_row, result
from tests.engine.helpers import T0, S


def test_point_row_has_all_tags_and_sorted_fields() -> None:
    p = Point("cpu", {"host": "a"}, {"z": 1, "a": "x"}, T0 + 1500)
    assert point_to_row(p) == {
        "name": "cpu",
        "tags": {"host": "a"},
        "columns": ["time", "a", "z"],
        "values": [["1971-01-01T00:00:00.0000015Z", "x", 1]],
    }


def test_batch_row_adds_non_group_tags_of_first_point_as_columns() -> None:
    pts = [
        BatchPoint(T0, {"value": 1.0}, {"host": "a", "type": "idle"}),
        BatchPoint(T0 + S, {"value": 2.0}, {"host": "a"}),
    ]
    row = batch_to_row(Batch("cpu", {"host": "a"}, T0 + S, pts))
    assert row == {
        "name": "cpu",
        "tags": {"host": "a"},
        "columns": ["time", "type", "value"],
        "values": [["1971-01-01T00:00:00Z", "idle", 1.0], ["1971-01-01T00:00:01Z", None, 2.0]],
    }


def test_empty_batch_and_empty_result() -> None:
    assert batch_to_row(Batch("cpu", {}, T0, [])) == {"name": "cpu"}
    assert result([]) == {"series": None}
    assert result([], "boom") == {"series": None, "error": "boom"}
