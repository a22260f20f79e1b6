"""Routes written points to the stream tasks that want them: (db, rp) -> measurement -> tasks,
then each task's leading condition (`engine.prefilter`), evaluated once per distinct condition."""

from __future__ import annotations

from typing import Any

import numpy as np

from kapacitrio.models.columns import ColumnChunk

Key = tuple[str, str]

#: The measurement key of a task input that takes every measurement.
ANY = ""


class Router:
    """Index of stream task inputs by database, retention policy and measurement.

    A task registers one entry per dbrp with the measurements its `from()` nodes name (`""` =
    every measurement). An empty db or rp in a registration matches any. Lookups go through a
    per-(db, rp) table merged once after each change, so the cost of routing a line is one dict
    lookup, whatever the number of tasks.
    """

    def __init__(self) -> None:
        self._entries: dict[Any, list[tuple[Key, frozenset[str]]]] = {}
        self._tables: dict[Key, tuple[dict[str, list[Any]], list[Any]]] = {}
        #: target -> its `Prefilter` (a condition on the rows it wants).
        self.conditions: dict[Any, Any] = {}

    def add(
        self, target: Any, dbrps: list[Key], measurements: set[str], condition: Any = None
    ) -> None:
        """Register a target for the given dbrps; `measurements` containing `""` means all.

        `condition` (a `Prefilter`) limits the rows the target gets to those it may keep."""
        meas = frozenset(measurements) if ANY not in measurements else frozenset({ANY})
        self._entries[target] = [(k, meas) for k in dbrps]
        self.conditions.pop(target, None)
        if condition is not None:
            self.conditions[target] = condition
        self._tables.clear()

    def remove(self, target: Any) -> None:
        """Forget a target."""
        self.conditions.pop(target, None)
        if self._entries.pop(target, None) is not None:
            self._tables.clear()

    def table(self, db: str, rp: str) -> tuple[dict[str, list[Any]], list[Any]]:
        """(measurement -> targets including the wildcard ones, wildcard targets) for a dbrp."""
        key = (db, rp)
        table = self._tables.get(key)
        if table is None:
            table = self._build(db, rp)
            self._tables[key] = table
        return table

    def targets(self, db: str, rp: str, measurement: str) -> list[Any]:
        """Every target that wants this measurement in this dbrp."""
        by_meas, wild = self.table(db, rp)
        return by_meas.get(measurement, wild)

    def _build(self, db: str, rp: str) -> tuple[dict[str, list[Any]], list[Any]]:
        """Target lists in registration order; equal lists are one shared object.

        Sharing lets a writer see that consecutive lines of different measurements go to the
        very same tasks (one `is` test) and keep them in one chunk.
        """
        wild: list[Any] = []
        named: dict[str, list[Any]] = {}
        for target, regs in self._entries.items():
            wanted: set[str] = set()
            for (rdb, rrp), meas in regs:
                if (not rdb or rdb == db) and (not rrp or rrp == rp):
                    wanted |= meas
            if ANY in wanted:
                wild.append(target)
            else:
                for m in wanted:
                    named.setdefault(m, []).append(target)
        order = {id(t): i for i, t in enumerate(self._entries)}
        shared: dict[tuple[int, ...], list[Any]] = {tuple(map(id, wild)): wild}
        by_meas: dict[str, list[Any]] = {}
        for m, lst in named.items():
            full = sorted(lst + wild, key=lambda t: order[id(t)])
            by_meas[m] = shared.setdefault(tuple(map(id, full)), full)
        return by_meas, wild


def split_chunk(
    chunk: ColumnChunk,
    by_meas: dict[str, list[Any]],
    wild: list[Any],
    conditions: dict[Any, Any] | None = None,
) -> tuple[list[tuple[list[Any], ColumnChunk]], int]:
    """The rows of a parsed body each task wants, and how many rows at least one task wants.

    Returns `[(targets, rows), ...]`: tasks that want the same series share one chunk, whose rows
    keep the body's order. Commonly the whole chunk goes to one list of targets. Targets with a
    condition (in `conditions`) get only the rows it may keep; equal conditions share one chunk.
    """
    parts, routed = _by_series(chunk, by_meas, wild)
    if conditions and parts:
        parts = [p for part in parts for p in _filtered(part, conditions)]
    return parts, routed


def _filtered(
    part: tuple[list[Any], ColumnChunk], conditions: dict[Any, Any]
) -> list[tuple[list[Any], ColumnChunk]]:
    targets, chunk = part
    plain: list[Any] = []
    by_key: dict[str, list[Any]] = {}
    for t in targets:
        cond = conditions.get(t)
        if cond is None:
            plain.append(t)
        else:
            by_key.setdefault(cond.expr.key, []).append(t)
    if not by_key:
        return [part]
    out = [(plain, chunk)] if plain else []
    n = len(chunk)
    for same in by_key.values():
        cond = conditions[same[0]]
        res = cond.select(chunk)  # memoised on the chunk: once per distinct condition
        if res is None:  # not by columns this time: the tasks decide every row themselves
            out.append((same, chunk))
            continue
        idx, keep, fb = res
        k = len(idx)
        if k == n:
            out.append((same, chunk))
            continue
        for t in same:
            conditions[t].skip(n - k)
        if not k:
            continue
        sub = chunk.take(idx)
        sub.memo["origin"] = (chunk, idx)  # its lambdas reuse those of the whole chunk
        if keep is not None:  # the task's node reuses the verdicts
            sub.memo[("bool", cond.expr.key)] = (keep, fb)
        if keep is None or not fb.any():  # every row kept: its node need not look again
            sub.memo["settled"] = cond.expr.key
        out.append((same, sub))
    return out


def _by_series(
    chunk: ColumnChunk, by_meas: dict[str, list[Any]], wild: list[Any]
) -> tuple[list[tuple[list[Any], ColumnChunk]], int]:
    if not chunk:
        return [], 0
    s_targets = [by_meas.get(name, wild) for name in chunk.series.names]
    distinct = {id(t): t for t in s_targets}
    if len(distinct) == 1:
        [targets] = distinct.values()
        return ([(targets, chunk)], len(chunk)) if targets else ([], 0)
    wants: dict[Any, list[int]] = {}
    for code, targets in enumerate(s_targets):
        for target in targets:
            wants.setdefault(target, []).append(code)
    by_codes: dict[tuple[int, ...], list[Any]] = {}
    for target, codes in wants.items():
        by_codes.setdefault(tuple(codes), []).append(target)
    parts = [
        (targets, chunk.take(np.isin(chunk.series_codes, codes)))
        for codes, targets in by_codes.items()
    ]
    routed_series = [code for code, targets in enumerate(s_targets) if targets]
    return parts, int(np.count_nonzero(np.isin(chunk.series_codes, routed_series)))
