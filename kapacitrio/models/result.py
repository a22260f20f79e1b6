"""Kapacitor's `Result` / `Row` JSON: points and batches as InfluxDB-style series."""

from __future__ import annotations

from typing import Any

from kapacitrio.models.point import Batch, BatchPoint, Point
from kapacitrio.models.timefmt import format_rfc3339

Row = dict[str, Any]


def point_to_row(p: Point) -> Row:
    """One point as a row: all its tags, `time` then its fields sorted by name."""
    keys = sorted(p.fields)
    fields = p.fields
    row: Row = {"name": p.name}
    if p.tags:
        row["tags"] = dict(p.tags)
    row["columns"] = ["time", *keys]
    row["values"] = [[format_rfc3339(p.time), *(fields[k] for k in keys)]]
    return row


def batch_to_row(b: Batch) -> Row:
    """A batch as one row, as Kapacitor builds it.

    Tags are the batch's group tags; columns are `time` then the first point's fields and those of
    its tags that are not group tags, sorted; each value is taken from a point's fields, else tags.
    """
    row: Row = {"name": b.name}
    if b.tags:
        row["tags"] = dict(b.tags)
    if not b.points:
        return row
    first = b.points[0]
    cols = list(first.fields)
    cols.extend(t for t in first.tags if t not in b.tags)
    cols.sort()
    row["columns"] = ["time", *cols]
    row["values"] = [_batch_values(p, cols) for p in b.points]
    return row


def _batch_values(p: BatchPoint, cols: list[str]) -> list[Any]:
    fields, tags = p.fields, p.tags
    values: list[Any] = [format_rfc3339(p.time)]
    for c in cols:
        if c in fields:
            values.append(fields[c])
        else:
            values.append(tags.get(c))
    return values


def to_row(msg: Point | Batch) -> Row:
    """A point or a batch as a row."""
    return point_to_row(msg) if isinstance(msg, Point) else batch_to_row(msg)


def result(rows: list[Row] | None, error: str | None = None) -> dict[str, Any]:
    """A `Result` JSON object: `{"series": rows or null}` plus `error` when set."""
    out: dict[str, Any] = {"series": rows if rows else None}
    if error:
        out["error"] = error
    return out
