"""Stream sources: `stream` (the root of stream tasks) and `from` (select, filter, group points)."""

from __future__ import annotations

from typing import Any

import numpy as np

from kapacitrio.engine.node import NodeRuntime, register
from kapacitrio.engine.nodes._columnar import columnar_lambda, kept_rows
from kapacitrio.engine.nodes._common import dims_from, group_id_fn
from kapacitrio.engine.nodes.lambdas import dump_instance, load_instance
from kapacitrio.models.chunk import PointChunk
from kapacitrio.models.columns import ColumnChunk
from kapacitrio.models.point import NO_DIMENSIONS, Point
from kapacitrio.tick.errors import EvalError


@register("stream")
class StreamRuntime(NodeRuntime):
    """Receives every point written for the task's dbrps and passes it on."""

    #: The task runner forwards whole chunks without calling `point`.
    forward_all = True

    def point(self, p: Point, parent: int) -> None:
        self.out.append(p)


def truncate(t: int, d: int) -> int:
    """`t` truncated to a multiple of `d` (towards the past)."""
    return t - t % d


def round_time(t: int, d: int) -> int:
    """`t` rounded to the nearest multiple of `d`, halfway rounding away from zero."""
    r = t % d
    base = t - r
    return base + d if r + r >= d else base


@register("from")
class FromRuntime(NodeRuntime):
    """Filters by database, retention policy, measurement and lambda; truncates/rounds; groups."""

    def __init__(self, spec: Any, ctx: Any) -> None:
        super().__init__(spec, ctx)
        props = spec.props
        self.db = props.get("database") or ""
        self.rp = props.get("retentionPolicy") or ""
        self.measurement = props.get("measurement") or ""
        self.truncate = int(props.get("truncate") or 0)
        self.round = int(props.get("round") or 0)
        where = props.get("where")
        self.where = None
        self.where_columns = None
        if where is not None:
            from kapacitrio.tick.lambdas import compile_expression

            compiled = compile_expression(where)
            self.where = compiled.instance()
            if not compiled.stateful:
                self.where_columns = columnar_lambda(where)
        group_by = props.get("groupBy") or []
        by_name = bool(props.get("groupByMeasurement"))
        self.dims = dims_from(group_by, by_name) if (group_by or by_name) else None
        self.group_of = None if self.dims is None or callable(self.dims) else group_id_fn(self.dims)

    # -- state handover: only a stateful `where` lambda (sigma(), count(), ...) has any
    def keeps_state(self) -> bool:
        return self.where is not None and bool(self.where.states)

    def snapshot(self) -> Any:
        return dump_instance(self.where) if self.keeps_state() else None

    def restore(self, data: Any) -> None:
        load_instance(self.where, data)

    def point_chunk(self, chunk: list[Any], parent: int) -> int:
        """Filter and group a chunk of plain points at once; -1 hands it back message by message.

        Only for settings where no point can fail (no where, truncate or round, fixed dimensions).
        """
        if type(chunk) is ColumnChunk:
            return self._columns(chunk)
        if self.where is not None or self.truncate or self.round or callable(self.dims):
            return -1
        m, db, rp = self.measurement, self.db, self.rp
        if type(chunk) is PointChunk and not (db or rp) and self.group_of is None:
            self._fresh_chunk(chunk)
            return len(chunk)
        if set(map(type, chunk)) != {Point}:
            return -1
        if db or rp:
            kept = [
                p
                for p in chunk
                if (not m or p.name == m) and (not db or p.db == db) and (not rp or p.rp == rp)
            ]
        elif m:
            kept = [p for p in chunk if p.name == m]
        else:
            kept = chunk
        group_of, dims = self.group_of, self.dims
        if group_of is not None:
            kept = [
                Point(p.name, p.tags, p.fields, p.time, p.db, p.rp, group_of(p.name, p.tags), dims)
                for p in kept
            ]
        else:
            kept = [
                p
                if p.dimensions is NO_DIMENSIONS and not p.group
                else Point(p.name, p.tags, p.fields, p.time, p.db, p.rp)
                for p in kept
            ]
        self.out.extend(kept)
        return len(chunk)

    @property
    def passes_kept_rows(self) -> bool:
        """Whether the rows its condition keeps leave this node as they came (no database or
        retention policy test, retiming or grouping): for fresh rows of its measurement."""
        return not (self.db or self.rp or self.truncate or self.round or self.dims is not None)

    def _columns(self, c: ColumnChunk) -> int:
        """A columnar chunk: filter, retime and regroup without building rows."""
        if self.where is not None and self.where_columns is None:
            return -1
        n = len(c)
        if (self.db and c.db != self.db) or (self.rp and c.rp != self.rp):
            return n
        m = self.measurement
        if m:
            names = c.names()
            if m not in names:
                return n
            if len(names) > 1:
                c = c.take(c.name_mask(m))
        if self.where_columns is not None:
            kept = kept_rows(self.where_columns, c, self._where_point, self.error)
            if kept is None:
                return -1
            c = kept
        t = c.time
        if self.truncate:
            t = t - t % self.truncate
        if self.round:
            d = self.round
            r = t % d
            t = t - r + np.where(r + r >= d, d, 0)
        if t is not c.time:
            c = c.derive(time=t)
        self.emit_chunk(self._regroup(c))
        return n

    def _where_point(self, p: Point) -> bool:
        return self.where.eval_bool(p.time, p.fields, p.tags)  # type: ignore[union-attr]

    def _regroup(self, c: ColumnChunk) -> ColumnChunk:
        """The chunk with this node's groups (per series: a group ID and dimensions)."""
        dims, s = self.dims, c.series
        if dims is None:
            return c if c.fresh else c.derive(series=s.regrouped(None, None))
        if callable(dims):
            per = [dims(tags) for tags in s.tags]
            groups = [
                d.group_id(nm, tags) for d, nm, tags in zip(per, s.names, s.tags, strict=True)
            ]
            return c.derive(series=s.regrouped(groups, per))
        group_of = self.group_of
        groups = [group_of(nm, tags) for nm, tags in zip(s.names, s.tags, strict=True)]
        return c.derive(series=s.regrouped(groups, [dims] * len(groups)))

    def _fresh_chunk(self, chunk: PointChunk) -> None:
        """Fresh points (no group yet) filtered by measurement only: often the chunk as it is."""
        m = self.measurement
        names = chunk.names()
        if not m or names == {m}:
            kept: list[Point] = chunk
        elif m not in names:
            return
        else:
            kept = [p for p in chunk if p.name == m]
        if self.out:
            self.out.extend(kept)
        else:
            self.out = kept  # sent on as it is; nobody changes a chunk once sent

    def point(self, p: Point, parent: int) -> None:
        if self.measurement and p.name != self.measurement:
            return
        if self.db and p.db != self.db:
            return
        if self.rp and p.rp != self.rp:
            return
        if self.where is not None:
            try:
                if not self.where.eval_bool(p.time, p.fields, p.tags):
                    return
            except EvalError as exc:
                self.error(str(exc))
                return
        t = p.time
        if self.truncate:
            t = truncate(t, self.truncate)
        if self.round:
            t = round_time(t, self.round)
        dims = self.dims
        if dims is None:
            if t != p.time or p.dimensions is not NO_DIMENSIONS or p.group:
                p = Point(p.name, p.tags, p.fields, t, p.db, p.rp)
        elif self.group_of is not None:
            p = Point(p.name, p.tags, p.fields, t, p.db, p.rp, self.group_of(p.name, p.tags), dims)
        else:
            d = dims(p.tags)
            p = Point(p.name, p.tags, p.fields, t, p.db, p.rp, d.group_id(p.name, p.tags), d)
        self.out.append(p)
