"""InfluxQL function nodes: aggregates, selectors, distinct/top/bottom, streaming transforms, Holt-Winters."""

from __future__ import annotations

from collections import deque
from itertools import repeat
from typing import Any

import trio

from kapacitrio.engine import snapcodec as codec
from kapacitrio.engine.node import NodeRuntime, register
from kapacitrio.engine.nodes import influxql_funcs as fn
from kapacitrio.engine.nodes.holtwinters import forecast
from kapacitrio.engine.nodes.influxql_runs import SELECTORS, selected_chunk
from kapacitrio.models.batchrun import BatchRun, counts_chunk
from kapacitrio.models.colbatch import ColumnPoints
from kapacitrio.models.point import Barrier, Batch, BatchPoint, DeleteGroup, Dimensions, Point

MULTI = ("distinct", "top", "bottom")


_GO_TYPES = {"float": "float64", "integer": "int64", "string": "string", "boolean": "bool"}


#: InfluxQL type names of the field value types (as `influxql_funcs.kind_of` names them).
_KINDS = {float: "float", int: "integer", str: "string", bool: "boolean"}


def _missing(field: str) -> str:
    return f'field "{field}" missing from point'


def _wrong_type(field: str, got: str, want: str) -> str:
    return f"field {field} has wrong type: got {_GO_TYPES[got]} exp {_GO_TYPES[want]}"


class _Records:
    """The records of one group gathered so far, with the type fixed by the first one."""

    __slots__ = ("recs", "kind", "points")

    def __init__(self) -> None:
        self.recs: list[fn.Record] = []
        self.kind: str | None = None

    def add(self, field: str, time: int, fields: dict, tags: dict) -> str | None:
        """Add one record; returns an error text when it cannot be used."""
        if field not in fields:
            return _missing(field)
        value = fields[field]
        try:
            kind = fn.kind_of(value)
        except fn.ReduceError as exc:
            return str(exc)
        if self.kind is None:
            self.kind = kind
        elif kind != self.kind:
            return _wrong_type(field, kind, self.kind)
        self.recs.append((time, value, fields, tags))
        return None


def column_records(points: ColumnPoints, field: str, values: Any) -> _Records:
    """Records of a columnar batch (no per-point checks needed): (time, value, None, None),
    the chosen row of a selector is built from `points` on demand."""
    recs = _Records()
    vals = values.tolist()
    recs.kind = fn.kind_of(vals[0]) if vals else None
    recs.recs = list(zip(points.time.tolist(), vals, repeat(None), repeat(None), strict=False))
    recs.points = points  # type: ignore[attr-defined]
    return recs


class _StreamGroup:
    """Stream input: the points of one group at one timestamp."""

    __slots__ = ("time", "name", "tags", "group", "dims", "records")

    def __init__(self, p: Point) -> None:
        self.time = p.time
        self.name = p.name
        self.tags = p.dimensions.group_tags(p.tags)
        self.group = p.group
        self.dims = p.dimensions
        self.records = _Records()

    def dump(self) -> list[Any]:
        recs = [[t, v, codec.plain(f), tags] for t, v, f, tags in self.records.recs]
        head = [self.time, self.name, self.tags, self.group, codec.dims(self.dims)]
        return [*head, self.records.kind, recs]

    @classmethod
    def load(cls, data: Any) -> _StreamGroup:
        time, name, tags, group, dims, kind, recs = data
        g = cls.__new__(cls)
        g.time, g.name, g.tags = codec.integer(time), str(name), codec.tags_of(tags)
        g.group, g.dims = str(group), codec.dims_of(dims)
        g.records = _Records()
        g.records.kind = None if kind is None else str(kind)
        g.records.recs = [
            (codec.integer(t), codec.value(v), codec.fields_of(f), codec.tags_of(tg))
            for t, v, f, tg in recs
        ]
        return g


@register("count", "distinct", "mean", "median", "mode", "spread", "sum", "stddev")
@register("first", "last", "min", "max", "percentile", "top", "bottom")
class InfluxQLNode(NodeRuntime):
    """An aggregate, selector or multi-row InfluxQL function over batches or same-time points."""

    def __init__(self, spec, ctx) -> None:
        super().__init__(spec, ctx)
        self.func = spec.kind
        args = list(spec.args)
        self.n = 0
        if self.func in ("top", "bottom"):
            self.n = int(args[0])
            self.field = str(args[1])
            self.by = [str(a) for a in args[2:]]
        else:
            self.field = str(args[0]) if args else ""
            self.by = []
        self.arg = args[1] if self.func == "percentile" and len(args) > 1 else None
        self.as_ = spec.props.get("as") or self.func
        self.point_times = bool(spec.props.get("usePointTimes", False))
        self.groups: dict[str, _StreamGroup] = {}

    group_table = "groups"

    def cardinality(self) -> int:
        return len(self.groups)

    # -- state handover: on a stream, each group's points of its current time
    def snapshot(self) -> Any:
        return {gid: g.dump() for gid, g in self.groups.items()}

    def restore(self, data: Any) -> None:
        self.groups.update({gid: _StreamGroup.load(g) for gid, g in codec.mapping(data).items()})

    # -- stream input
    def point(self, p: Point, parent: int) -> None:
        g = self.groups.get(p.group)
        if g is not None and g.time != p.time:
            self._flush(g)
            g = None
        if g is None:
            g = self.groups[p.group] = _StreamGroup(p)
        err = g.records.add(self.field, p.time, p.fields, p.tags)
        if err:
            self.error(err)

    def _flush(self, g: _StreamGroup) -> None:
        if g.records.recs:
            self._reduce(g.records, g.name, g.tags, g.time, g.group, g.dims, "", "")

    def delete_group(self, d: DeleteGroup, parent: int) -> None:
        self.groups.pop(d.group, None)
        self.emit(d)

    def barrier(self, b: Barrier, parent: int) -> None:
        """A barrier past a group's pending time completes that time: emit its result first."""
        for gid in list(self.groups) if b.group is None else [b.group]:
            g = self.groups.get(gid)
            if g is not None and g.time < b.time:
                del self.groups[gid]
                self._flush(g)
        self.emit(b)

    # -- batch input
    def point_chunk(self, chunk: Any, parent: int) -> int:
        """`count` or a selector over a window's `BatchRun` whose field every point has, typed:
        reduced by columns, the results leave as one columnar chunk of points. Anything else is
        handed back, batch by batch."""
        if type(chunk) is not BatchRun or (self.func != "count" and self.func not in SELECTORS):
            return -1
        if not chunk:
            return 0
        if self.func == "count":
            for seg in chunk.segments:
                values = seg.fields.get(self.field)
                if values is None or values.dtype.kind not in "fib":
                    return -1
            self.emit_chunk(counts_chunk(chunk, self.as_))
            return len(chunk)
        out = selected_chunk(chunk, self.func, self.field, self.as_, self.point_times)
        if out is None:
            return -1
        self.emit_chunk(out)
        return len(chunk)

    def batch(self, b: Batch, parent: int) -> None:
        column = self._clean_column(b)
        if self.func == "count":
            if column is not None:  # every point has the field, of one type: nothing to check
                self.emit(
                    Point(
                        b.name,
                        b.tags,
                        {self.as_: len(column)},
                        b.tmax,
                        b.db,
                        b.rp,
                        b.group,
                        b.dimensions,
                    )
                )
                return
            self._count_batch(b)
            return
        if column is not None and self.func not in MULTI:
            records = column_records(b.points, self.field, column)
        else:
            records = _Records()
            for bp in b.points:
                err = records.add(self.field, bp.time, bp.fields, bp.tags)
                if err:
                    self.error(err)
        if not records.recs and self.func not in ("count", "sum"):
            return
        self._reduce(records, b.name, b.tags, b.tmax, b.group, b.dimensions, b.db, b.rp)

    def _clean_column(self, b: Batch) -> Any:
        """The field's values when the batch holds columns that every point has, typed; else None."""
        points = b.points
        if type(points) is not ColumnPoints:
            return None
        values = points.values(self.field)
        if values is None or values.dtype.kind not in "fib":
            return None
        return values

    def _count_batch(self, b: Batch) -> None:
        """`count` over a batch: the same checks as gathering records, without keeping them."""
        field = self.field
        kind: str | None = None
        n = 0
        for bp in b.points:
            fields = bp.fields
            if field not in fields:
                self.error(_missing(field))
                continue
            value = fields[field]
            got = _KINDS.get(type(value))
            if got is None:
                self.error(f"unsupported field type {type(value).__name__}")
                continue
            if kind is None:
                kind = got
            elif got != kind:
                self.error(_wrong_type(field, got, kind))
                continue
            n += 1
        self.emit(Point(b.name, b.tags, {self.as_: n}, b.tmax, b.db, b.rp, b.group, b.dimensions))

    # -- computing
    def _reduce(
        self,
        records: _Records,
        name: str,
        tags: dict,
        tmax: int,
        group: str,
        dims: Dimensions,
        db: str,
        rp: str,
    ) -> None:
        kind = records.kind or "float"
        recs = records.recs
        try:
            if self.func in fn.AGGREGATES:
                if not recs and self.func == "sum":
                    value: Any = 0.0  # an empty batch sums as float, its type unknown
                else:
                    value = fn.AGGREGATES[self.func](recs, kind)
                if value is None:
                    return
                self.emit(Point(name, tags, {self.as_: value}, tmax, db, rp, group, dims))
            elif self.func in fn.SELECTORS:
                idx = fn.SELECTORS[self.func](recs, kind, self.arg)
                if idx is None:
                    return
                rec = recs[idx]
                if rec[2] is None:  # a columnar record: the chosen row is built now
                    bp = records.points[idx]  # type: ignore[attr-defined]
                    rec = (rec[0], rec[1], bp.fields, bp.tags)
                self.emit(self._selected(rec, name, tmax, group, dims, db, rp))
            else:
                self._multi(recs, kind, name, tags, tmax, group, dims, db, rp)
        except fn.ReduceError as exc:
            self.error(str(exc))

    def _selected(
        self, rec: fn.Record, name: str, tmax: int, group: str, dims: Dimensions, db: str, rp: str
    ) -> Point:
        time = rec[0] if self.point_times else tmax
        fields = {k: v for k, v in rec[2].items() if k != self.field}
        fields[self.as_] = rec[1]
        return Point(name, rec[3], fields, time, db, rp, group, dims)

    def _multi(
        self,
        recs: list[fn.Record],
        kind: str,
        name: str,
        tags: dict,
        tmax: int,
        group: str,
        dims: Dimensions,
        db: str,
        rp: str,
    ) -> None:
        points: list[BatchPoint] = []
        if self.func == "distinct":
            for i in fn.multi_distinct(recs):
                points.append(BatchPoint(tmax, {self.as_: recs[i][1]}, tags))
        else:
            chosen = fn.multi_topbottom(recs, kind, self.n, self.by, self.func == "top")
            for i in chosen:
                t, value, _, ptags = recs[i]
                points.append(BatchPoint(t if self.point_times else tmax, {self.as_: value}, ptags))
        self.emit(Batch(name, tags, tmax, points, group, dims, db, rp))


# -- streaming transforms


class _Transform:
    """State of one transform over a run of points (one group, or one batch)."""

    def __init__(self, func: str, arg: Any) -> None:
        self.func = func
        self.arg = arg
        self.prev_time: int | None = None
        self.prev_value: Any = None
        self.kind: str | None = None
        self.window: deque = deque(maxlen=max(int(arg), 1) if func == "movingAverage" else None)
        self.total: Any = None

    def dump(self) -> list[Any]:
        return [self.prev_time, self.prev_value, self.kind, list(self.window), self.total]

    def load(self, data: Any) -> _Transform:
        prev_time, prev_value, kind, window, total = data
        if self.func == "movingAverage" and len(window) > (self.window.maxlen or 0):
            raise ValueError("moving average window changed")
        values = [codec.value(v) for v in (prev_value, total, *window)]
        if any(v is not None and fn.kind_of(v) != kind for v in values):
            raise ValueError("values of another kind than the transform's")
        self.window.extend(window)
        self.prev_time = codec.opt_integer(prev_time)
        self.kind = None if kind is None else str(kind)
        self.prev_value, self.total = prev_value, total
        return self

    def step(self, time: int, value: Any) -> Any:
        """Feed one value; returns the output value or None when nothing is emitted yet."""
        kind = fn.kind_of(value)
        if self.kind is None:
            self.kind = kind
        elif kind != self.kind:
            raise fn.ReduceError(f"wrong type: got {_GO_TYPES[kind]} exp {_GO_TYPES[self.kind]}")
        if self.func == "elapsed":
            prev, self.prev_time = self.prev_time, time
            if prev is None:
                return None
            unit = int(self.arg) or 1
            return (time - prev) // unit
        fn._numeric(self.func, kind)
        if self.func == "difference":
            prev, self.prev_value = self.prev_value, value
            return None if prev is None else value - prev
        if self.func == "cumulativeSum":
            self.total = value if self.total is None else self.total + value
            return self.total
        self.window.append(value)
        if len(self.window) < self.window.maxlen:
            return None
        return float(sum(self.window)) / len(self.window)


@register("elapsed", "difference", "movingAverage", "cumulativeSum")
class InfluxQLTransformNode(NodeRuntime):
    """Per-point InfluxQL transforms with state per group (stream) or per batch."""

    def __init__(self, spec, ctx) -> None:
        super().__init__(spec, ctx)
        self.func = spec.kind
        self.field = str(spec.args[0])
        default_arg = 1_000_000_000 if self.func == "elapsed" else 1
        self.arg = spec.args[1] if len(spec.args) > 1 else default_arg
        self.as_ = spec.props.get("as") or self.func
        self.states: dict[str, _Transform] = {}

    group_table = "states"

    def cardinality(self) -> int:
        return len(self.states)

    # -- state handover: on a stream, each group's previous point, running total or window
    def snapshot(self) -> Any:
        return {gid: st.dump() for gid, st in self.states.items()}

    def restore(self, data: Any) -> None:
        self.states.update(
            {gid: _Transform(self.func, self.arg).load(d) for gid, d in codec.mapping(data).items()}
        )

    def _value(self, state: _Transform, time: int, fields: dict) -> Any:
        if self.field not in fields:
            self.error(_missing(self.field))
            return None
        try:
            return state.step(time, fields[self.field])
        except fn.ReduceError as exc:
            self.error(str(exc))
            return None

    def point(self, p: Point, parent: int) -> None:
        state = self.states.get(p.group)
        if state is None:
            state = self.states[p.group] = _Transform(self.func, self.arg)
        value = self._value(state, p.time, p.fields)
        if value is not None:
            tags = p.dimensions.group_tags(p.tags)
            self.emit(p.copy_with(fields={self.as_: value}, tags=tags))

    def batch(self, b: Batch, parent: int) -> None:
        state = _Transform(self.func, self.arg)
        points = []
        for bp in b.points:
            value = self._value(state, bp.time, bp.fields)
            if value is not None:
                points.append(BatchPoint(bp.time, {self.as_: value}, b.tags))
        self.emit(b.copy_with(points=points))

    def delete_group(self, d: DeleteGroup, parent: int) -> None:
        self.states.pop(d.group, None)
        self.emit(d)


#: Batches with more points than this are forecast in a worker thread (the fit is CPU heavy).
SYNC_FORECAST_POINTS = 50
#: Seconds a forecast still running when the task stops may take.
FINAL_FORECAST_SECONDS = 30.0


@register("holtWinters", "holtWintersWithFit")
class HoltWintersNode(NodeRuntime):
    """Holt-Winters forecasts of a batch's field (optionally with the fitted values).

    Small batches are forecast inline; larger ones in a worker thread so the event loop stays
    free, with later messages held behind them to keep the order.
    """

    def __init__(self, spec, ctx) -> None:
        super().__init__(spec, ctx)
        self.field = str(spec.args[0])
        self.h = int(spec.args[1])
        self.m = int(spec.args[2])
        self.interval = int(spec.args[3])
        self.with_fit = spec.kind == "holtWintersWithFit"
        self.as_ = spec.props.get("as") or spec.kind
        self.jobs: deque[tuple[Any, list[tuple[int, float]] | None]] = deque()
        self.wake = trio.Event()

    def busy(self) -> bool:
        """Forecasts still running: each batch is forecast on its own, so that is all the state."""
        return bool(self.jobs)

    def point(self, p: Point, parent: int) -> None:
        """On a stream each timestamp is its own series of one value: nothing to forecast."""

    def batch(self, b: Batch, parent: int) -> None:
        records = _Records()
        for bp in b.points:
            err = records.add(self.field, bp.time, bp.fields, bp.tags)
            if err:
                self.error(err)
        if records.kind not in (None, "float", "integer"):
            self.error(f"cannot apply holtWinters to {fn.GO_TYPES[records.kind]} field")
            return
        series = [(t, float(v)) for t, v, _, _ in records.recs]
        if not self.jobs and len(series) <= SYNC_FORECAST_POINTS:
            self._emit_forecast(b, self._forecast(series))
        else:
            self._defer(b, series)

    def barrier(self, b: Barrier, parent: int) -> None:
        if self.jobs:
            self._defer(b, None)
        else:
            self.emit(b)

    def delete_group(self, d: DeleteGroup, parent: int) -> None:
        if self.jobs:
            self._defer(d, None)
        else:
            self.emit(d)

    def _defer(self, msg: Any, series: list[tuple[int, float]] | None) -> None:
        self.jobs.append((msg, series))
        self.wake.set()

    def _forecast(self, series: list[tuple[int, float]]) -> list[tuple[int, float]]:
        return forecast(series, self.h, self.m, self.interval, self.with_fit)

    def _emit_forecast(self, b: Batch, out: list[tuple[int, float]]) -> None:
        points = [BatchPoint(t, {self.as_: v}, b.tags) for t, v in out]
        self.emit(b.copy_with(points=points))

    async def run_background(self) -> None:
        try:
            while True:
                await self.wake.wait()
                self.wake = trio.Event()
                await self._drain()
        finally:
            with trio.move_on_after(FINAL_FORECAST_SECONDS) as scope:
                scope.shield = True
                await self._drain()

    async def _drain(self) -> None:
        while self.jobs:
            msg, series = self.jobs[0]
            if series is None:
                self.emit(msg)
            else:
                out = await trio.to_thread.run_sync(self._forecast, series, abandon_on_cancel=True)
                self._emit_forecast(msg, out)
            self.jobs.popleft()
            await self.flush()
