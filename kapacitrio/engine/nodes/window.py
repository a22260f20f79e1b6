"""`window`: buffers points per group and emits them as batches, by data time or by count."""

from __future__ import annotations

from collections import deque
from typing import Any

from kapacitrio.engine.node import NodeError, NodeRuntime, register
from kapacitrio.engine.nodes.window_columns import SHARED_TAGS, ColumnBuffer, accepts
from kapacitrio.engine.nodes.window_cuts import feed
from kapacitrio.engine.snapcodec import plain
from kapacitrio.models.batchrun import BatchRun
from kapacitrio.models.columns import ColumnChunk
from kapacitrio.models.point import Barrier, Batch, BatchPoint, DeleteGroup, Dimensions, Point


class _TimeWindow:
    """One group's buffer for a time-based window."""

    __slots__ = ("name", "tags", "dims", "group", "buf", "next_emit")

    def __init__(self, p: Point) -> None:
        self.name = p.name
        self.tags = p.dimensions.group_tags(p.tags)
        self.dims = p.dimensions
        self.group = p.group
        self.buf: deque[BatchPoint | Point] = deque()
        self.next_emit: int | None = None


class _CountWindow:
    """One group's ring buffer for a count-based window."""

    __slots__ = ("name", "tags", "dims", "group", "buf", "count", "next_emit")

    def __init__(self, p: Point, size: int, first_emit: int) -> None:
        self.name = p.name
        self.tags = p.dimensions.group_tags(p.tags)
        self.dims = p.dimensions
        self.group = p.group
        self.buf: deque[BatchPoint | Point] = deque(maxlen=size)
        self.count = 0
        self.next_emit = first_emit


@register("window")
class WindowRuntime(NodeRuntime):
    """Windows by `period`/`every` (data-time driven, optional align/fillPeriod) or by counts."""

    def __init__(self, spec: Any, ctx: Any) -> None:
        super().__init__(spec, ctx)
        p = spec.props
        self.period = int(p.get("period") or 0)
        self.every = int(p.get("every") or 0)
        self.align = bool(p.get("align"))
        self.fill_period = bool(p.get("fillPeriod"))
        self.period_count = int(p.get("periodCount") or 0)
        self.every_count = int(p.get("everyCount") or 0)
        if self.period == 0 and self.period_count == 0:
            raise NodeError(
                "window node must have either a non zero period or non zero period count"
            )
        self.groups: dict[str, Any] = {}
        # Columnar mode (time windows with `every`): `groups` holds `ColumnBuffer`s until a chunk
        # or message the buffers cannot hold turns them into row windows for good.
        self.col_mode = self.period_count == 0 and self.every > 0
        self.tag_table = SHARED_TAGS
        self.col_sig: tuple | None = None  # (field keys, dtypes) every buffer holds

    @property
    def col_groups(self) -> dict[str, Any]:
        return self.groups

    def _demote(self) -> None:
        """From column buffers to row windows, for good (the buffered rows keep their order)."""
        if not self.col_mode:
            return
        self.col_mode = False
        table = self.tag_table.table
        rows: dict[str, Any] = {}
        for gid, cb in self.groups.items():
            w = _TimeWindow.__new__(_TimeWindow)
            w.name, w.tags, w.dims, w.group = cb.name, cb.tags, cb.dims, cb.group
            w.buf = deque(cb.rows(table))
            w.next_emit = cb.next_emit
            rows[gid] = w
        self.groups = rows

    def _columns(self, chunk: ColumnChunk) -> int:
        """A columnar chunk into the column buffers; -1 when they cannot take it."""
        if not self.col_mode or not accepts(chunk):
            return -1
        sig = (chunk.layouts[0], tuple(c.values.dtype for c in chunk.fields.values()))
        if self.col_sig is None:
            self.col_sig = sig
        elif sig != self.col_sig:
            return -1
        emitted = feed(self, chunk)
        if type(emitted) is BatchRun:
            self.emit_chunk(emitted)
        else:
            self.out.extend(emitted)
        return len(chunk)

    # -- time windows
    def _init_next(self, t0: int) -> int:
        if self.fill_period:
            first = t0 + self.period
        elif self.every == 0:
            return t0
        else:
            first = t0 + self.every
        if self.align and self.every:
            nxt = first - first % self.every
            if nxt <= first and self.fill_period:
                nxt += self.every
            return nxt
        return first

    def _emit_time(self, w: _TimeWindow, tmax: int) -> None:
        low = tmax - self.period
        if type(w) is ColumnBuffer:
            w.drop_before(low)
            points = w.points(self.tag_table.table)
            self.emit(Batch(w.name, w.tags, tmax, points, w.group, w.dims))
            return
        buf = w.buf
        if self.every == 0:
            while buf and buf[0].time <= low:
                buf.popleft()
        else:
            while buf and buf[0].time < low:
                buf.popleft()
        self.emit(Batch(w.name, w.tags, tmax, list(buf), w.group, w.dims))

    def _advance(self, w: _TimeWindow, t: int) -> None:
        """A point or barrier at time t: emit the window if t reached the next emit time."""
        if w.next_emit is None:
            w.next_emit = self._init_next(t)
        if t < w.next_emit:
            return
        if self.every == 0:
            self._emit_time(w, t)
            w.next_emit = t
            return
        self._emit_time(w, w.next_emit)
        nxt = t + self.every
        if self.align:
            nxt -= nxt % self.every
        w.next_emit = nxt

    def point(self, p: Point, parent: int) -> None:
        self._demote()
        if self.period_count:
            self._count_point(p)
            return
        w = self.groups.get(p.group)
        if w is None:
            w = self.groups[p.group] = _TimeWindow(p)
        # The point itself joins the window: it has a batch point's time, fields and tags, and
        # messages are never changed once sent, so no copy per point and task is needed.
        if self.every == 0:
            w.buf.append(p)
            if w.next_emit is None:
                w.next_emit = self._init_next(p.time)
            if p.time >= w.next_emit:
                self._emit_time(w, p.time)
                w.next_emit = p.time
            return
        nxt = w.next_emit
        if nxt is None or p.time >= nxt:
            self._advance(w, p.time)
        w.buf.append(p)

    def point_chunk(self, chunk: list[Any], parent: int) -> int:
        """A time window with `every`: a whole chunk in one loop; -1 hands it back one by one."""
        if self.period_count or not self.every:
            return -1
        if type(chunk) is ColumnChunk:
            n = self._columns(chunk)
            if n >= 0:
                return n
        if self.col_mode and (type(chunk) is ColumnChunk or any(type(m) is Point for m in chunk)):
            self._demote()
        groups = self.groups
        advance = self._advance
        n = 0
        gid: str | None = None  # the group of the previous point, whose window is `w`
        w: Any = None
        for m in chunk:
            if type(m) is not Point:
                gid = None  # a barrier or a delete may change the windows
                if type(m) is Batch:
                    n += 1
                    self.batch(m, parent)
                elif type(m) is Barrier:
                    self.barrier(m, parent)
                elif type(m) is DeleteGroup:
                    self.delete_group(m, parent)
                continue
            n += 1
            if m.group is not gid:
                gid = m.group
                w = groups.get(gid)
                if w is None:
                    w = groups[gid] = _TimeWindow(m)
            t = m.time
            nxt = w.next_emit
            if nxt is None or t >= nxt:
                advance(w, t)
            w.buf.append(m)
        return n

    # -- count windows
    def _count_point(self, p: Point) -> None:
        w = self.groups.get(p.group)
        if w is None:
            first = self.period_count if self.fill_period else self.every_count
            w = self.groups[p.group] = _CountWindow(p, self.period_count, first)
        w.buf.append(p)
        w.count += 1
        if w.count == w.next_emit:
            w.next_emit += self.every_count
            self.emit(Batch(w.name, w.tags, p.time, list(w.buf), w.group, w.dims))

    # -- other messages
    def batch(self, b: Batch, parent: int) -> None:
        raise NodeError("window node does not accept batch data")

    def barrier(self, b: Barrier, parent: int) -> None:
        """A barrier acts like a point at its time that is not kept: due windows are emitted."""
        if not self.period_count:
            targets = list(self.groups.values()) if b.group is None else [self.groups.get(b.group)]
            for w in targets:
                if w is None:
                    continue
                if self.every:
                    self._advance(w, b.time)
                elif w.next_emit is not None and b.time >= w.next_emit:
                    self._emit_time(w, b.time)
                    w.next_emit = b.time
        self.emit(b)

    def delete_group(self, d: DeleteGroup, parent: int) -> None:
        self.groups.pop(d.group, None)
        self.emit(d)

    group_table = "groups"

    def cardinality(self) -> int:
        return len(self.groups)

    # -- state handover
    def snapshot(self) -> Any:
        """Every group's buffered points and next emit time (column buffers read as rows,
        left as they are)."""
        table = self.tag_table.table
        out = []
        for w in self.groups.values():
            rows = w.rows(table) if type(w) is ColumnBuffer else w.buf
            out.append(
                {
                    "g": w.group,
                    "n": w.name,
                    "t": w.tags,
                    "d": [w.dims.by_name, list(w.dims.tag_names)],
                    "next": w.next_emit,
                    "count": getattr(w, "count", 0),
                    "buf": [[int(r.time), plain(r.fields), r.tags] for r in rows],
                }
            )
        return {"count": bool(self.period_count), "groups": out}

    def restore(self, data: Any) -> None:
        if bool(data["count"]) != bool(self.period_count):
            raise ValueError("window kind changed")
        self.col_mode = False  # restored windows are row windows
        size = self.period_count
        groups = {}
        for item in data["groups"]:
            w = (_CountWindow if size else _TimeWindow).__new__(
                _CountWindow if size else _TimeWindow
            )
            w.name, w.tags, w.group = item["n"], item["t"], item["g"]
            w.dims = Dimensions(bool(item["d"][0]), tuple(item["d"][1]))
            points = (BatchPoint(int(t), f, tags) for t, f, tags in item["buf"])
            w.buf = deque(points, maxlen=size) if size else deque(points)
            w.next_emit = item["next"]
            if size:
                w.count = int(item["count"])
            groups[w.group] = w
        self.groups.update(groups)
