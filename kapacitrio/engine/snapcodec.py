"""Points, batches and their parts as JSON-ready lists, for node state snapshots (`engine.snapshot`).

Every decoder checks the shape it is given and raises ValueError (or TypeError/KeyError) on one
it does not know, so a node restores either all of its state or none of it.
"""

from __future__ import annotations

from typing import Any

from kapacitrio.models.point import Batch, BatchPoint, Dimensions, Point

_VALUE_TYPES = (bool, int, float, str)


def plain(fields: dict[str, Any]) -> dict[str, Any]:
    """Field values as JSON takes them (numpy scalars from column buffers as Python ones)."""
    return {k: v.item() if hasattr(v, "item") else v for k, v in fields.items()}


def value(data: Any) -> Any:
    """A field value back from JSON (or None, for a value not set yet)."""
    if data is not None and not isinstance(data, _VALUE_TYPES):
        raise ValueError("a value of an unknown kind")
    return data


def fields_of(data: Any) -> dict[str, Any]:
    """A fields dict back from JSON: string keys, plain values only."""
    if not isinstance(data, dict):
        raise ValueError("fields are not a mapping")
    for k, v in data.items():
        if not isinstance(v, _VALUE_TYPES):
            raise ValueError(f"field {k!r} has a value of an unknown kind")
    return dict(data)


def tags_of(data: Any) -> dict[str, str]:
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError("tags are not a mapping of strings")
    return dict(data)


def dims(d: Dimensions) -> list[Any]:
    return [d.by_name, list(d.tag_names)]


def dims_of(data: Any) -> Dimensions:
    by_name, names = data
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError("dimensions are not a list of tag names")
    return Dimensions(bool(by_name), tuple(names))


def integer(data: Any) -> int:
    if type(data) is not int:
        raise ValueError("not an integer")
    return data


def opt_integer(data: Any) -> int | None:
    return None if data is None else integer(data)


def point(p: Point) -> list[Any]:
    return [p.name, p.tags, plain(p.fields), int(p.time), p.db, p.rp, p.group, dims(p.dimensions)]


def point_of(data: Any) -> Point:
    name, tags, fields, time, db, rp, group, d = data
    return Point(
        str(name), tags_of(tags), fields_of(fields), integer(time), str(db), str(rp), str(group),
        dims_of(d),
    )  # fmt: skip


def batch_point(bp: BatchPoint) -> list[Any]:
    return [int(bp.time), plain(bp.fields), bp.tags]


def batch_point_of(data: Any) -> BatchPoint:
    time, fields, tags = data
    return BatchPoint(integer(time), fields_of(fields), tags_of(tags))


def batch(b: Batch) -> list[Any]:
    return [
        b.name, b.tags, int(b.tmax), [batch_point(bp) for bp in b.points], b.group,
        dims(b.dimensions), b.db, b.rp,
    ]  # fmt: skip


def batch_of(data: Any) -> Batch:
    name, tags, tmax, points, group, d, db, rp = data
    return Batch(
        str(name), tags_of(tags), integer(tmax), [batch_point_of(x) for x in points], str(group),
        dims_of(d), str(db), str(rp),
    )  # fmt: skip


def message(m: Point | Batch) -> list[Any]:
    """A point or a batch, marked by kind."""
    return ["p", point(m)] if type(m) is Point else ["b", batch(m)]


def message_of(data: Any) -> Point | Batch:
    kind, body = data
    if kind == "p":
        return point_of(body)
    if kind == "b":
        return batch_of(body)
    raise ValueError(f"unknown message kind {kind!r}")


def mapping(data: Any) -> dict[str, Any]:
    """A JSON object keyed by group id."""
    if not isinstance(data, dict):
        raise ValueError("not a mapping")
    return data
