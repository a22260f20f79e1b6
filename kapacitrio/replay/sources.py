"""Where recorded data comes from when it is not the live stream: a batch task's queries, or one query.

A batch task's query nodes are asked, tick by tick between `start` and `stop`, exactly the
windows they would query live (same schedule, period, offset and query text). An explicit
query is run once; for a stream recording its rows become points of the query's database and
retention policy, merged in time order.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from kapacitrio.engine.clock import VirtualClock
from kapacitrio.engine.context import TaskContext
from kapacitrio.engine.node import NodeError
from kapacitrio.engine.taskmaster import topological
from kapacitrio.models.point import Batch, BatchPoint, Dimensions, Point
from kapacitrio.pipeline.spec import Pipeline
from kapacitrio.replay.errors import SourceError

#: Most queries one batch recording may run (a guard against a tiny `every` over a long range).
MAX_QUERIES = 100_000


@dataclass
class SourcePlan:
    """The queries one batch source (query node) runs for a recording."""

    node: str
    cluster: str
    runtime: Any
    windows: list[tuple[int, int]] = field(default_factory=list)


def batch_source_specs(pipeline: Pipeline) -> list[Any]:
    """The batch source nodes of a pipeline in Kapacitor's order (recordings are matched so)."""
    return [s for s in topological(pipeline) if s.kind in ("query", "queryFlux")]


def _recorded_tick(rt: Any, after: int, cron: str) -> int | None:
    """The tick after `after` as Kapacitor plans recorded queries: an aligned `every` rounds
    `after + every` to the nearest multiple (halves up), it does not truncate."""
    if cron or not rt.align:
        return rt.next_tick(after, cron)
    t = after + rt.every
    r = t % rt.every
    return t - r + (rt.every if 2 * r >= rt.every else 0)


def plan_batch_queries(
    task_id: str, pipeline: Pipeline, start: int, stop: int, now: int
) -> list[SourcePlan]:
    """The query windows of each batch source for ticks in (start, stop], none ending after now."""
    from kapacitrio.engine.nodes.query import QueryRuntime

    plans = []
    total = 0
    ctx = TaskContext(task_id, VirtualClock(now))
    for spec in batch_source_specs(pipeline):
        if spec.kind != "query":
            raise SourceError(f"cannot record {spec.name}: only InfluxQL queries can be recorded")
        try:
            rt = QueryRuntime(spec, ctx)
        except NodeError as exc:
            raise SourceError(str(exc)) from None
        cron = str(spec.props.get("cron") or "")
        if not rt.every and not cron:
            raise SourceError(f"{spec.name} has neither every nor cron: nothing to record")
        plan = SourcePlan(spec.name, str(spec.props.get("cluster") or ""), rt)
        tick = _recorded_tick(rt, start, cron)
        while tick is not None and tick <= stop:
            qstop = tick - rt.offset
            if qstop > now:
                break
            plan.windows.append((qstop - rt.period, qstop))
            total += 1
            if total > MAX_QUERIES:
                raise SourceError(f"too many queries to record (more than {MAX_QUERIES})")
            nxt = _recorded_tick(rt, tick, cron)
            if nxt is not None and nxt <= tick:
                break
            tick = nxt
        plans.append(plan)
    return plans


def client_for(services: Any, cluster: str, what: str) -> Any:
    """The InfluxDB client of a cluster ("" = default); `SourceError` when there is none."""
    from kapacitrio.influxdb.clusters import lookup

    if getattr(services, "influxdb", None) is None:
        raise SourceError(f"InfluxDB not configured, cannot record {what}")
    client = lookup(services, cluster)
    if client is None:
        if cluster:
            raise SourceError(f"failed to get InfluxDB client: unknown InfluxDB cluster {cluster}")
        raise SourceError(f"InfluxDB not configured, cannot record {what}")
    return client


async def run_batch_plans(
    services: Any, plans: list[SourcePlan]
) -> AsyncIterator[tuple[int, int, list[Batch]]]:
    """Run every planned query; yields (source index, queries done so far, batches of one query)."""
    clients = [client_for(services, p.cluster, "batch query") for p in plans]
    done = 0
    for i, (plan, client) in enumerate(zip(plans, clients, strict=True)):
        rt = plan.runtime
        for qstart, qstop in plan.windows:
            try:
                series = await rt.fetch_series(client, qstart, qstop)
            except Exception as exc:
                raise SourceError(f"{plan.node}: {exc}") from None
            done += 1
            batches = [_recorded(rt, rt.series_batch(s, qstop), qstop) for s in series]
            yield i, done, [b for b in batches if b.points]


def _recorded(rt: Any, b: Batch, stop: int) -> Batch:
    """A queried batch as Kapacitor records it: numbers as floats; timed by its latest point
    when the query groups by time, else by the query's stop."""
    points = [BatchPoint(p.time, _floats(p.fields), p.tags) for p in b.points]
    by_time = rt.time_dim is not None
    tmax = max((p.time for p in points), default=stop) if by_time else stop
    return b.copy_with(points=points, tmax=tmax)


def _floats(fields: dict[str, Any]) -> dict[str, Any]:
    """Numbers become floats, as InfluxDB results decode in Kapacitor; other values stay."""
    return {
        k: float(v) if isinstance(v, int) and not isinstance(v, bool) else v
        for k, v in fields.items()
    }


# -- explicit queries

_IDENT = r'(?:"(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_\-]*)'
_FROM = re.compile(
    rf"(?is)\bfrom\s+({_IDENT})\s*\.\s*({_IDENT})\s*\.\s*({_IDENT}|/(?:[^/\\]|\\.)*/)"
)


def _unquote(ident: str) -> str:
    if ident.startswith('"'):
        return re.sub(r"\\(.)", r"\1", ident[1:-1])
    return ident


def query_dbrp(query: str) -> tuple[str, str]:
    """The database and retention policy a fully qualified query reads from."""
    m = _FROM.search(query)
    if m is None or not m.group(1) or not m.group(2):
        raise SourceError(
            "could not determine database and retention policy. Is the query fully qualified?"
        )
    return _unquote(m.group(1)), _unquote(m.group(2))


async def _query_series(services: Any, query: str, cluster: str) -> list[dict[str, Any]]:
    query_dbrp(query)  # as Kapacitor, only fully qualified queries are recorded
    client = client_for(services, cluster, "query")
    try:
        results = await client.query(query, epoch="ns")
    except Exception as exc:
        raise SourceError(f"InfluxDB query failed: {exc}") from None
    series: list[dict[str, Any]] = []
    for res in results:
        if res.get("error"):
            raise SourceError(f"InfluxDB query failed: {res['error']}")
        series.extend(res.get("series") or [])
    return series


def _rows(series: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    columns = list(series.get("columns") or [])
    ti = columns.index("time") if "time" in columns else -1
    out = []
    for row in series.get("values") or []:
        fields = {c: v for i, (c, v) in enumerate(zip(columns, row, strict=False)) if i != ti}
        fields = _floats({k: v for k, v in fields.items() if v is not None})
        if fields:
            out.append((int(row[ti]) if ti >= 0 else 0, fields))
    return out


async def query_points(services: Any, query: str, cluster: str = "") -> list[Point]:
    """The rows of a query as points of its database and retention policy, in time order."""
    db, rp = query_dbrp(query)
    lanes = []
    for s in await _query_series(services, query, cluster):
        name = str(s.get("name") or "")
        tags = {str(k): str(v) for k, v in (s.get("tags") or {}).items()}
        lanes.append([Point(name, tags, f, t, db, rp) for t, f in _rows(s)])
    return list(heapq.merge(*lanes, key=lambda p: p.time))


async def query_batches(services: Any, query: str, cluster: str = "") -> list[Batch]:
    """Each series of a query as one batch (grouped by its tags), timed by its last row."""
    out = []
    for s in await _query_series(services, query, cluster):
        name = str(s.get("name") or "")
        tags = {str(k): str(v) for k, v in (s.get("tags") or {}).items()}
        rows = _rows(s)
        if not rows:
            continue
        points = [BatchPoint(t, f, tags) for t, f in rows]
        dims = Dimensions(False, tuple(sorted(tags)))
        out.append(Batch(name, tags, max(t for t, _ in rows), points, "", dims))
    return out
