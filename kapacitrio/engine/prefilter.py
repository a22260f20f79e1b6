"""Filter routing: a task's leading condition, which the router evaluates for every task at once.

A stream task whose pipeline starts `stream |from()` with a `.where(...)` property, or
`stream |from() |where(...)` with nothing else under the root and the `from`, gets a
`Prefilter`. The router evaluates each distinct condition (equal `ColumnarExpression.key`) once
per written chunk and hands the task only the rows the condition keeps, plus the rows the
columnar code cannot vouch for (missing tags, type conflicts: the task's own node decides those
point by point, with its usual errors). So 100 per-host tasks on one measurement evaluate 100
cheap conditions on the shared chunk instead of each taking the whole chunk through its nodes.

Only stateless conditions with a columnar form qualify (any mix of tag tests with `==`, `!=`,
`=~`, `!~`, `AND`, `OR`, and also field tests); the `from` must not name a database or retention
policy, and a `where` node only when the `from` does not group (so its one instance per group is
the one group `""`). A task with a `stats` node is not prefiltered (it observes emitted points).

Stats: a row the router drops is counted as though the task had dropped it itself. It is
`collected` and `emitted` by the nodes before the filtering node (`stream0`, and `from1` when the
filter is a `where` node), `collected` but not `emitted` by the filtering node, and it counts on
the edges it would have crossed. So `collected`, `emitted` and the edge counts in the task stats,
`/debug/vars` and the DOT graph are exactly those of an unfiltered run; only
`avg_exec_time_ns` (time per message the node really handled) is left as measured.

Rows the router settled (the condition keeps every one: `memo["settled"]`) need not go through
those nodes at all when the `from` passes kept rows on unchanged (`bypass`): the task starts them
after the filtering node and counts them as collected and emitted by the nodes they skipped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from kapacitrio.models.columns import ColumnChunk
from kapacitrio.tick import ast
from kapacitrio.tick.columnar import ColumnarExpression


class Prefilter:
    """One task's condition and the bookkeeping of the rows the router dropped for it."""

    __slots__ = ("expr", "refs", "equals", "through", "drops", "edges", "rows", "_where")

    def __init__(
        self,
        expr: ColumnarExpression,
        through: list[str],
        drops: str,
        where_rt: Any = None,
    ) -> None:
        self.expr = expr
        self.refs = references(expr.node)
        #: (tag, value) when the condition is `"tag" == 'value'`: answered by a tag index.
        self.equals = tag_equality(expr.node)
        #: Nodes that would have collected and emitted the dropped rows.
        self.through = through
        #: The node that would have collected and dropped them.
        self.drops = drops
        self.edges = list(zip(through, [*through[1:], drops], strict=True))
        self.rows = 0
        self._where = where_rt

    def skip(self, n: int) -> None:
        """The router dropped `n` rows of a chunk for this task."""
        self.rows += n
        if self._where is not None:  # the where node would have made its group's instance
            self._where.expr.get("")

    def select(
        self, chunk: ColumnChunk
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None] | None:
        """The rows the task may keep: (row indices in order, their verdicts, their fallback
        flags) as `evaluate_bool` gives them, or (indices, None, None) when the condition holds
        for every one of them; None when the columns cannot say (all rows go).

        A condition on tags alone (no reference is a field of the chunk) has one verdict per
        series: it is evaluated on one row per series, and the rows are those of the series it
        keeps (the per-series rows are computed once per chunk and shared by every task)."""
        expr = self.expr
        if "time" in self.refs or not self.refs.isdisjoint(chunk.fields):
            res = expr.evaluate_bool(chunk)
            if res is None:
                return None
            keep, fb = res
            keep = np.asarray(keep, dtype=np.bool_)
            idx = np.flatnonzero(keep | fb if fb.any() else keep)
            return idx, keep[idx], fb[idx]
        memo = chunk.memo
        per_series = memo.get("per-series")
        if per_series is None:
            per_series = memo["per-series"] = _SeriesRows(chunk)
        if self.equals is not None:
            index = per_series.tag_index(self.equals[0])
            if index is not None:  # every series has the tag: its series are the verdict
                return per_series.rows_of(index.get(self.equals[1], ())), None, None
        res = expr.evaluate_bool(per_series.chunk)
        if res is None:
            return None
        keep_s = np.asarray(res[0], dtype=np.bool_)
        fb_s = res[1]
        want = keep_s | fb_s if fb_s.any() else keep_s
        idx = per_series.rows(want)
        codes = chunk.series_codes[idx]
        return idx, keep_s[codes], fb_s[codes]

    def bypass(self, head: list[Any]) -> int:
        """How many nodes of the task's inline head (`_Node`s from the root) a chunk this
        condition settled may skip: the root and the nodes through the filtering one, when
        they pass kept rows on unchanged; 0 when some would change them."""
        names = [*self.through, self.drops]
        if [n.spec.name for n in head[: len(names)]] != names:
            return 0
        frm = head[1].rt  # `from` (the filter, or the node before a `where`)
        return len(names) if frm.passes_kept_rows else 0

    def adjust(self, stats: dict[str, dict[str, Any]]) -> None:
        """Count the dropped rows in per-node stats (see the module docstring)."""
        n = self.rows
        if not n:
            return
        for name in self.through:
            stats[name]["collected"] += n
            stats[name]["emitted"] += n
        stats[self.drops]["collected"] += n

    def adjust_edges(self, edges: dict[tuple[str, str], int]) -> None:
        for edge in self.edges:
            if edge in edges:
                edges[edge] += self.rows


class _SeriesRows:
    """A chunk's series as a chunk of one row per series (without fields), and each series'
    rows in order."""

    __slots__ = ("chunk", "_order", "_starts", "_ends", "_tags", "_indexes")

    def __init__(self, chunk: ColumnChunk) -> None:
        n = len(chunk.series.names)
        self.chunk = ColumnChunk(
            np.zeros(n, dtype=np.int64),
            np.arange(n, dtype=np.int32),
            chunk.series,
            {},
            None,
            [()],
            chunk.db,
            chunk.rp,
        )
        codes = chunk.series_codes
        self._order = np.argsort(codes, kind="stable")
        counts = np.bincount(codes, minlength=n)
        ends = np.cumsum(counts)
        self._ends: list[int] = ends.tolist()  # (Python ints slice faster than numpy's)
        self._starts: list[int] = (ends - counts).tolist()
        self._tags = chunk.series.tags
        self._indexes: dict[str, dict[str, list[int]] | None] = {}

    def tag_index(self, key: str) -> dict[str, list[int]] | None:
        """The series of each value of a tag (built once per chunk and tag, shared by every
        condition on it); None when some series lacks the tag (the columns decide those)."""
        if key in self._indexes:
            return self._indexes[key]
        index: dict[str, list[int]] | None = {}
        for code, tags in enumerate(self._tags):
            value = tags.get(key)
            if value is None:
                index = None
                break
            index.setdefault(value, []).append(code)
        self._indexes[key] = index
        return index

    def rows(self, want: np.ndarray) -> np.ndarray:
        """Indices (ascending) of the rows of the series `want` marks."""
        return self.rows_of(np.flatnonzero(want).tolist())

    def rows_of(self, picked: Sequence[int]) -> np.ndarray:
        """Indices (ascending) of the rows of these series (ascending codes)."""
        order, starts, ends = self._order, self._starts, self._ends
        if len(picked) == 1:
            s = picked[0]
            return order[starts[s] : ends[s]]
        if not picked:
            return order[:0]
        return np.sort(np.concatenate([order[starts[s] : ends[s]] for s in picked]))


def references(node: Any) -> frozenset[str]:
    """Every name an expression references."""
    out: set[str] = set()
    stack = [node]
    while stack:
        v = stack.pop()
        if isinstance(v, ast.ReferenceNode):
            out.add(v.name)
        elif dataclasses.is_dataclass(v) and not isinstance(v, type):
            stack.extend(getattr(v, f.name) for f in dataclasses.fields(v))
        elif isinstance(v, list | tuple):
            stack.extend(v)
    return frozenset(out)


def tag_equality(node: Any) -> tuple[str, str] | None:
    """(tag, value) of a condition `"tag" == 'value'` (either way round), else None."""
    if isinstance(node, ast.LambdaNode):
        node = node.expr
    if not isinstance(node, ast.BinaryNode) or node.op != "==":
        return None
    ref, lit = node.left, node.right
    if isinstance(ref, ast.StringNode):
        ref, lit = lit, ref
    if isinstance(ref, ast.ReferenceNode) and isinstance(lit, ast.StringNode):
        return ref.name, lit.value
    return None


def prefilter_of(pipeline: Any, runtimes: dict[str, Any]) -> Prefilter | None:
    """The task's prefilter, or None when its pipeline does not start with a condition."""
    if pipeline.type != "stream" or len(pipeline.sources) != 1:
        return None
    if any(n.kind == "stats" for n in pipeline.nodes):
        return None
    root = pipeline.sources[0]
    if len(root.children) != 1 or root.children[0].kind != "from":
        return None
    frm = root.children[0]
    if len(frm.parents) != 1 or frm.props.get("database") or frm.props.get("retentionPolicy"):
        return None
    from_rt = runtimes[frm.name]
    if from_rt.where is not None:
        expr = from_rt.where_columns
        return None if expr is None else Prefilter(expr, [root.name], frm.name)
    if len(frm.children) != 1 or from_rt.dims is not None:
        return None
    where = frm.children[0]
    if where.kind != "where" or len(where.parents) != 1:
        return None
    where_rt = runtimes[where.name]
    expr = where_rt.columnar
    if expr is None:
        return None
    return Prefilter(expr, [root.name, frm.name], where.name, where_rt)
