"""Engine messages to and from UDF protocol messages, and option values, as Kapacitor maps them."""

from __future__ import annotations

from typing import Any

from kapacitrio.models.point import Batch, BatchPoint, Dimensions, Point
from kapacitrio.pipeline import gotypes as g
from kapacitrio.pipeline.udf import UDFInfo
from kapacitrio.tick.values import Duration
from kapacitrio.udf import udf_pb2 as pb

EDGES = {pb.STREAM: "stream", pb.BATCH: "batch"}
GO_TYPES = {
    pb.BOOL: g.BOOL,
    pb.INT: g.INT,
    pb.DOUBLE: g.FLOAT,
    pb.STRING: g.STRING,
    pb.DURATION: g.DURATION,
}


def info(resp: Any) -> UDFInfo:
    """A `UDFInfo` from an InfoResponse."""
    options = {
        name: tuple(GO_TYPES[t] for t in opt.valueTypes)
        for name, opt in sorted(resp.options.items())
    }
    return UDFInfo(EDGES.get(resp.wants, "stream"), EDGES.get(resp.provides, "stream"), options)


def option_value(value: Any) -> Any:
    """One script value as a typed OptionValue."""
    ov = pb.OptionValue()
    if isinstance(value, bool):
        ov.type = pb.BOOL
        ov.boolValue = value
    elif type(value) is Duration:
        ov.type = pb.DURATION
        ov.durationValue = int(value)
    elif isinstance(value, int):
        ov.type = pb.INT
        ov.intValue = value
    elif isinstance(value, float):
        ov.type = pb.DOUBLE
        ov.doubleValue = value
    else:
        ov.type = pb.STRING
        ov.stringValue = str(value)
    return ov


def init_request(calls: list[tuple[str, list[Any]]], task_id: str, node_id: str) -> Any:
    """An InitRequest with one Option per option call, in script order of the option names."""
    req = pb.Request()
    req.init.taskID = task_id
    req.init.nodeID = node_id
    for name, args in calls:
        opt = req.init.options.add()
        opt.name = name
        opt.values.extend(option_value(a) for a in args)
    return req


def _set_fields(msg: Any, fields: dict[str, Any]) -> None:
    for k, v in fields.items():
        if isinstance(v, bool):
            msg.fieldsBool[k] = v
        elif isinstance(v, int):
            msg.fieldsInt[k] = v
        elif isinstance(v, float):
            msg.fieldsDouble[k] = v
        else:
            msg.fieldsString[k] = str(v)


def _fields(msg: Any) -> dict[str, Any]:
    fields: dict[str, Any] = dict(msg.fieldsString)
    fields.update(msg.fieldsInt)
    fields.update(msg.fieldsDouble)
    fields.update(msg.fieldsBool)
    return fields


def point_request(p: Point) -> Any:
    """A stream point as a Point request."""
    req = pb.Request()
    m = req.point
    m.time = p.time
    m.name = p.name
    m.database = p.db
    m.retentionPolicy = p.rp
    m.group = p.group
    m.dimensions.extend(p.dimensions.tag_names)
    m.byName = p.dimensions.by_name
    m.tags.update(p.tags)
    _set_fields(m, p.fields)
    return req


def batch_requests(b: Batch) -> list[Any]:
    """A whole batch as BeginBatch, one Point per batch point, EndBatch."""
    begin = pb.Request()
    begin.begin.name = b.name
    begin.begin.group = b.group
    begin.begin.tags.update(b.tags)
    begin.begin.size = len(b.points)
    begin.begin.byName = b.dimensions.by_name
    out = [begin]
    for bp in b.points:
        req = pb.Request()
        m = req.point
        m.time = bp.time
        m.group = b.group
        m.tags.update(bp.tags)
        _set_fields(m, bp.fields)
        out.append(req)
    end = pb.Request()
    end.end.name = b.name
    end.end.group = b.group
    end.end.tmax = b.tmax
    end.end.tags.update(b.tags)
    out.append(end)
    return out


def point(msg: Any) -> Point:
    """A Point response as a stream point (its group from its dimensions)."""
    tags = dict(msg.tags)
    dims = Dimensions(msg.byName, tuple(msg.dimensions))
    return Point(
        msg.name,
        tags,
        _fields(msg),
        msg.time,
        msg.database,
        msg.retentionPolicy,
        dims.group_id(msg.name, tags),
        dims,
    )


class BatchAssembler:
    """Collects BeginBatch, Point... EndBatch responses into whole batches."""

    def __init__(self) -> None:
        self.begin: Any = None
        self.points: list[BatchPoint] = []

    def begin_batch(self, msg: Any) -> None:
        self.begin = msg
        self.points = []

    def add(self, msg: Any) -> bool:
        """Take a point if a batch is open; False if it is a lone (stream) point."""
        if self.begin is None:
            return False
        self.points.append(BatchPoint(msg.time, _fields(msg), dict(msg.tags)))
        return True

    def end(self, msg: Any) -> Batch:
        by_name = bool(self.begin.byName) if self.begin is not None else False
        tags = dict(msg.tags)
        dims = Dimensions(by_name, tuple(sorted(tags)))
        batch = Batch(msg.name, tags, msg.tmax, self.points, dims.group_id(msg.name, tags), dims)
        self.begin = None
        self.points = []
        return batch
