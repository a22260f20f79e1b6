"""Batch sources: `batch` (the root) and `query`/`queryFlux`, which emit query results as batches.

A query node takes recorded batches through its feed (`fed = True`: replays and the case runner).
Scheduled querying of a live InfluxDB hooks in through `run_background`, using `schedule` and
`query_text` to know when and what to ask.
"""

from __future__ import annotations

import re
from typing import Any

from kapacitrio.engine.node import NodeError, NodeRuntime, register
from kapacitrio.models.point import Batch, Dimensions
from kapacitrio.models.timefmt import format_rfc3339
from kapacitrio.pipeline.spec import STAR, TimeDimension


@register("batch")
class BatchRootRuntime(NodeRuntime):
    """The root of batch tasks: produces nothing itself; its query children do the work."""

    def batch(self, b: Batch, parent: int) -> None:
        self.out.append(b)


_STATEMENTS = re.compile(
    r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|/(?:[^/\\]|\\.)*/|;|[^'";/]+|.)""", re.S
)


def split_statements(text: str) -> list[str]:
    """InfluxQL statements of a query, split at `;` outside quotes and regexes."""
    out: list[str] = []
    current: list[str] = []
    for tok in _STATEMENTS.findall(text):
        if tok == ";":
            out.append("".join(current))
            current = []
        else:
            current.append(tok)
    out.append("".join(current))
    return [s.strip() for s in out if s.strip()]


def check_select(text: str) -> str:
    """The one SELECT statement of a query; raises `NodeError` with Kapacitor's text otherwise."""
    statements = split_statements(text)
    if len(statements) != 1:
        raise NodeError(
            f"query must be a single select statement, got {len(statements)} statements"
        )
    stmt = statements[0]
    if not re.match(r"(?i)select\b", stmt):
        raise NodeError(f"query is not a select statement {stmt!r}")
    return stmt


@register("query")
class QueryRuntime(NodeRuntime):
    """Emits each result series as one batch grouped by the query's `groupBy` tags."""

    fed = True
    extra_stats = {"query_errors": 0, "batches_queried": 0, "points_queried": 0}

    def __init__(self, spec: Any, ctx: Any) -> None:
        super().__init__(spec, ctx)
        p = spec.props
        self.text = check_select(str(spec.args[0]) if spec.args else "")
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

    # -- scheduling (for live querying)
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
        stmt = self.text
        cond = f"time >= '{format_rfc3339(start)}' AND time < '{format_rfc3339(stop)}'"
        m = re.search(r"(?i)\bwhere\b", stmt)
        if m:
            stmt = f"{stmt[: m.start()]}WHERE ({stmt[m.end() :].strip()}) AND {cond}"
        else:
            stmt = f"{stmt} WHERE {cond}"
        groups = ["*"] if self.star else [f'"{t}"' for t in self.tag_dims]
        if self.time_dim is not None:
            groups.append(_time_group(self.time_dim))
        if groups:
            stmt += " GROUP BY " + ", ".join(groups)
        fill = self.spec.props.get("fill")
        if fill is not None:
            stmt += f" fill({fill})"
        return stmt


def _time_group(td: TimeDimension) -> str:
    from kapacitrio.tick.values import format_duration

    if td.offset:
        return f"time({format_duration(td.every)}, {format_duration(td.offset)})"
    return f"time({format_duration(td.every)})"


@register("queryFlux")
class QueryFluxRuntime(QueryRuntime):
    """A Flux query source; fed batches are emitted as they come."""

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
