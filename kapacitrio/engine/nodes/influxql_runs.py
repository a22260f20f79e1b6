"""The selectors `first`, `last`, `min` and `max` over a window's `BatchRun`, by columns.

In a run every window's rows are in time order and every row has the field, typed, so each
selector's choice is an index within the window's slice: `min`/`max` the first row of the
extreme value, `first`/`last` the first row of the largest value among the rows at the first
(last) time, as the row-by-row selectors choose. The chosen rows leave as one columnar chunk of
points, in emission order; empty windows choose nothing. NaN values go batch by batch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kapacitrio.models.batchrun import BatchRun, RunSegment
from kapacitrio.models.columns import Column, ColumnChunk, Series

SELECTORS = ("first", "last", "min", "max")


def _choose(func: str, time: np.ndarray, values: np.ndarray, s: int, e: int) -> int:
    """The chosen row of the window `[s, e)` (not empty)."""
    if func == "max":
        return s + int(values[s:e].argmax())
    if func == "min":
        return s + int(values[s:e].argmin())
    window = time[s:e]
    if func == "first":
        lo, hi = s, s + int(np.searchsorted(window, window[0], side="right"))
    else:
        lo, hi = s + int(np.searchsorted(window, window[-1], side="left")), e
    return lo + int(values[lo:hi].argmax()) if hi - lo > 1 else lo


def _chosen(seg: RunSegment, func: str, field: str) -> list[int] | None:
    """Each window's chosen row (-1: an empty window); None when the values hold a NaN."""
    values = seg.fields[field]
    starts, ends = seg.starts.tolist(), seg.ends.tolist()
    if values.dtype.kind == "f" and len(starts):
        lo, hi = min(starts), max(ends)
        if np.isnan(values[lo:hi]).any():
            return None
    return [
        _choose(func, seg.time, values, s, e) if e > s else -1
        for s, e in zip(starts, ends, strict=True)
    ]


def selected_chunk(
    run: BatchRun, func: str, field: str, as_: str, point_times: bool
) -> ColumnChunk | None:
    """The points the selector emits for the run's batches; None: batch by batch instead."""
    picks: list[tuple[RunSegment, int, int]] = []  # (segment, chosen row, window time)
    for seg in run.segments:
        values = seg.fields.get(field)
        if values is None or values.dtype.kind not in "fib":
            return None
        chosen = _chosen(seg, func, field)
        if chosen is None:
            return None
        picks.extend(zip([seg] * len(chosen), chosen, seg.tmax, strict=True))
    picks = [p for p in run.ordered(picks) if p[1] >= 0]
    keys = {k: k for k in run.segments[0].keys if k != field}
    keys[as_] = field  # the output field: where it comes from
    names, tags, groups, dims, times = [], [], [], [], []
    columns: dict[str, list[Any]] = {k: [] for k in keys}
    for seg, row, tmax in picks:
        names.append(seg.name)
        tags.append(seg.table[int(seg.codes[row])])
        groups.append(seg.group)
        dims.append(seg.dims)
        times.append(int(seg.time[row]) if point_times else tmax)
        for out, src in keys.items():
            columns[out].append(seg.fields[src][row : row + 1])
    n = len(picks)
    fields = {k: Column(np.concatenate(parts)) for k, parts in columns.items()} if n else {}
    return ColumnChunk(
        np.array(times, dtype=np.int64),
        np.arange(n, dtype=np.int32),
        Series(names, tags, groups, dims),
        fields,
        None,
        [tuple(keys)],
    )
