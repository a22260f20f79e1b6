"""Batch sources: `batch` (the root) and `query`/`queryFlux`, which emit query results as batches.

A query node takes recorded batches through its feed (`fed = True`: replays and the case runner).
Scheduled querying of a live InfluxDB hooks in through `run_background`, using `schedule` and
`query_text` to know when and what to ask.
"""

from __future__ import annotations

from typing import Any

from kapacitrio.engine.node import NodeError, NodeRuntime, register
from kapacitrio.influxql.select import InfluxQLError, Select, parse_select
from kapacitrio.models.point import Batch, BatchPoint, Dimensions
from kapacitrio.models.timefmt import format_rfc3339
from kapacitrio.pipeline.spec import STAR, TimeDimension


@register("batch")
class BatchRootRuntime(NodeRuntime):
    """The root of batch tasks: produces nothing itself; its query children do the work."""

    def batch(self, b: Batch, parent: int) -> None:
        self.out.append(b)


def check_select(text: str) -> Select:
    """The query's one SELECT statement; raises `NodeError` with Kapacitor's text otherwise."""
    try:
        return parse_select(text)
    except InfluxQLError as exc:
        raise NodeError(str(exc)) from None


def check_schedule(every: int, cron: str) -> None:
    """Kapacitor's checks of a query node's schedule (at task start)."""
    if every and cron:
        raise NodeError("must not set both 'every' and 'cron' properties")
    if every < 0:
        raise NodeError("'every' duration must must non-negative")
    if not every and not cron:
        raise NodeError("must define one of 'every' or 'cron'")
    if cron:
        error = cron_error(cron)
        if error:
            raise NodeError(error)


@register("query")
class QueryRuntime(NodeRuntime):
    """Emits each result series as one batch grouped by the query's `groupBy` tags."""

    fed = True
    extra_stats = {"query_errors": 0, "batches_queried": 0, "points_queried": 0}

    def __init__(self, spec: Any, ctx: Any) -> None:
        super().__init__(spec, ctx)
        p = spec.props
        self.select = check_select(str(spec.args[0]) if spec.args else "")
        self.text = self.select.render()
        self.period = int(p.get("period") or 0)
        self.every = int(p.get("every") or 0)
        self.offset = int(p.get("offset") or 0)
        self.align = bool(p.get("align"))
        dims = p.get("groupBy") or []
        self.star = any(d is STAR for d in dims)
        self.tag_dims = tuple(sorted(d for d in dims if isinstance(d, str)))
        self.time_dim = next((d for d in dims if isinstance(d, TimeDimension)), None)
        self.by_name = bool(p.get("groupByMeasurement"))

    def _dims(self, b: Batch) -> Dimensions:
        by_name = self.by_name or b.dimensions.by_name
        names = tuple(sorted(b.tags)) if self.star else self.tag_dims
        return Dimensions(by_name, names)

    def batch(self, b: Batch, parent: int) -> None:
        self.stats["batches_queried"] += 1
        self.stats["points_queried"] += len(b.points)
        if parent < 0:
            # A recorded batch keeps the grouping it was recorded with.
            d = b.dimensions
            self.out.append(b if b.group else b.copy_with(group=d.group_id(b.name, b.tags)))
            return
        d = self._dims(b)
        self.out.append(b.copy_with(dimensions=d, group=d.group_id(b.name, b.tags)))

    # -- scheduling (live querying of InfluxDB)
    async def run_background(self) -> None:
        """Query InfluxDB on the node's schedule when the server has a client for its cluster."""
        cluster = str(self.spec.props.get("cluster") or "")
        cron = str(self.spec.props.get("cron") or "")
        if getattr(self.ctx.services, "influxdb", None) is None or not (self.every or cron):
            return  # fed only: the case runner, replays, engines without InfluxDB
        self._client(cluster)
        clock = self.ctx.clock
        tick = self.next_tick(clock.now(), cron)
        while tick is not None:
            await clock.sleep_until(tick)
            # Looked up at each tick, so a changed `[[influxdb]]` config is followed; a cluster
            # gone stops the task with the error Kapacitor gives when it has no client at start.
            await self.query_once(self._client(cluster), tick)
            tick = self.skip_missed(self.next_tick(tick, cron), clock.now(), cron)

    def _client(self, cluster: str) -> Any:
        """The cluster's client; `NodeError` (the task stops, with this as its error) if none."""
        from kapacitrio.influxdb.clusters import lookup

        client = lookup(self.ctx.services, cluster)
        if client is None:
            err = f"no such InfluxDB config {cluster or 'default'}"
            raise NodeError(f"failed to get InfluxDB client: {err}")
        return client

    def skip_missed(self, tick: int | None, now: int, cron: str = "") -> int | None:
        """The first tick at or after `now`: ticks a slow query overran are dropped, not queued."""
        if tick is None or tick >= now:
            return tick
        if cron:
            return cron_next(cron, now - 1)
        return tick + -(-(now - tick) // self.every) * self.every

    def next_tick(self, after: int, cron: str = "") -> int | None:
        """The next scheduled query time after `after` (every, aligned every, or cron)."""
        if cron:
            return cron_next(cron, after)
        if self.align:
            return after - after % self.every + self.every
        return after + self.every

    async def fetch_series(self, client: Any, start: int, stop: int) -> list[dict[str, Any]]:
        """The result series of the query for the window [start, stop)."""
        return await client.series(self.query_text(start, stop), epoch="ns")

    async def query_once(self, client: Any, tick: int) -> None:
        """Run the query for one tick and emit each result series as a batch."""
        start, stop = self.window(tick)
        try:
            series = await self.fetch_series(client, start, stop)
        except Exception as exc:
            self.stats["query_errors"] += 1
            self.error("error executing query", err=str(exc))
            return
        for s in series:
            self.batch(self.series_batch(s, stop), 0)
        await self.flush()

    def series_batch(self, series: dict[str, Any], stop: int) -> Batch:
        """One InfluxDB result series as a batch, as Kapacitor reads query results.

        Numbers become floats, null values are left out and rows left with no field are dropped;
        the batch time is the query's `stop` unless the query groups by time, in which case it is
        the latest point's time (or `stop` when nothing is left).
        """
        name = str(series.get("name") or "")
        tags = {str(k): str(v) for k, v in (series.get("tags") or {}).items()}
        columns = list(series.get("columns") or [])
        ti = columns.index("time") if "time" in columns else -1
        points = []
        tmax = 0
        for row in series.get("values") or []:
            t = int(row[ti]) if ti >= 0 else 0
            fields = {
                c: self.field_value(v)
                for i, (c, v) in enumerate(zip(columns, row, strict=False))
                if i != ti and v is not None
            }
            if fields:
                tmax = max(tmax, t)
                points.append(BatchPoint(t, fields, tags))
        if not tmax or self.time_dim is None:
            tmax = stop
        return Batch(name, tags, tmax, points, "", Dimensions(self.by_name, tuple(sorted(tags))))

    @staticmethod
    def field_value(value: Any) -> Any:
        """A result value as a field: InfluxQL's JSON numbers are all floats in Kapacitor."""
        return _field_value(value)

    def schedule(self, now: int) -> int:
        """The next query time at or after `now` (aligned to `every` when `align`)."""
        if not self.every:
            return now
        if self.align:
            nxt = now - now % self.every
            return nxt if nxt >= now else nxt + self.every
        return now

    def window(self, tick: int) -> tuple[int, int]:
        """The [start, stop) time range queried at a tick."""
        stop = tick - self.offset
        return stop - self.period, stop

    def query_text(self, start: int, stop: int) -> str:
        """The InfluxQL sent for one window: the user's statement with time bounds and grouping."""
        cond = f"time >= '{format_rfc3339(start)}' AND time < '{format_rfc3339(stop)}'"
        groups = ["*"] if self.star else [f'"{t}"' for t in self.tag_dims]
        if self.time_dim is not None:
            td = self.time_dim
            if self.spec.props.get("alignGroup") and td.every:
                td = TimeDimension(td.every, start % td.every + td.offset)
            groups.append(_time_group(td))
        fill = self.spec.props.get("fill")
        return self.select.render(cond, groups, None if fill is None else str(fill))


def _field_value(value: Any) -> Any:
    """A query result value as Kapacitor holds it: every JSON number is a float."""
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def cron_next(expr: str, after_ns: int) -> int | None:
    """Next time (ns) after `after_ns` matching a cron expression (5, 6 or 7 fields, or `@hourly`)."""
    from datetime import UTC, datetime

    from croniter import croniter

    fields = expr.split()
    kw: dict[str, Any] = {}
    if len(fields) == 7:  # seconds first, year last
        fields, kw = fields[:6], {"second_at_beginning": True}
    elif len(fields) == 6:  # year last
        fields = fields[:5]
    start = datetime.fromtimestamp(after_ns / 1e9, tz=UTC)
    try:
        it = croniter(" ".join(fields) if not expr.startswith("@") else expr, start, **kw)
        return int(it.get_next(float) * 1e9)
    except (ValueError, KeyError, TypeError):
        return None


_CRON_FIELDS = ("minute", "hour", "day-of-month", "month", "day-of-week")


def cron_error(expr: str) -> str:
    """Why a cron expression is invalid, worded like Kapacitor's cron parser ("" when valid)."""
    if expr.startswith("@"):
        return "" if cron_next(expr, 0) is not None else f"syntax error in cron expression: {expr}"
    fields = expr.split()
    if len(fields) < 5:
        return "missing field(s)"
    if len(fields) > 7:
        return "too many fields"
    names = list(_CRON_FIELDS)
    if len(fields) == 7:
        names = ["second", *names]
    fields = fields[: len(names)]
    for i, (name, value) in enumerate(zip(names, fields, strict=True)):
        probe = ["*"] * len(names)
        probe[i] = value
        if len(names) == 6:
            probe.append("*")
        if cron_next(" ".join(probe), 0) is None:
            return f"syntax error in {name} field: '{value}'"
    return "" if cron_next(expr, 0) is not None else f"syntax error in cron expression: {expr}"


def _time_group(td: TimeDimension) -> str:
    from kapacitrio.tick.values import format_duration

    if td.offset:
        return f"time({format_duration(td.every)}, {format_duration(td.offset)})"
    return f"time({format_duration(td.every)})"


@register("queryFlux")
class QueryFluxRuntime(QueryRuntime):
    """A Flux query source: the script goes to InfluxDB 2's `/api/v2/query` with `now()` set to
    the window's stop (so `range(start: -1m)` reads the minute before it, `offset` included), in
    the node's `org`/`orgID`. Each result table is one batch; values keep their Flux types."""

    def __init__(self, spec: Any, ctx: Any) -> None:
        NodeRuntime.__init__(self, spec, ctx)
        p = spec.props
        self.text = str(spec.args[0]) if spec.args else ""
        self.period = int(p.get("period") or 0)
        self.every = int(p.get("every") or 0)
        self.offset = int(p.get("offset") or 0)
        self.align = bool(p.get("align"))
        self.star = False
        self.tag_dims = ()
        self.time_dim = None
        self.by_name = False

    def _dims(self, b: Batch) -> Dimensions:
        return Dimensions(b.dimensions.by_name, tuple(sorted(b.tags)))

    async def fetch_series(self, client: Any, start: int, stop: int) -> list[dict[str, Any]]:
        from kapacitrio.influxdb.flux import parse_annotated_csv

        p = self.spec.props
        org, org_id = str(p.get("org") or ""), str(p.get("orgID") or "")
        text = await client.flux(self.text, org, org_id, format_rfc3339(stop))
        return parse_annotated_csv(text)

    @staticmethod
    def field_value(value: Any) -> Any:
        return value
