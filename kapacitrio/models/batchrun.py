"""The batches a window emitted for one chunk, held as slices of its buffers; built on first read.

A `BatchRun` is a read-only sequence of `Batch`es, so any node that wants batches reads it as it
reads a list (the batches are built once and shared by every reader). An aggregate that can
reduce whole columns reads the segments instead: per group, the buffer's arrays and each
window's `[start, end)` slice of them with its batch time.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kapacitrio.models.colbatch import ColumnPoints
from kapacitrio.models.columns import Column, ColumnChunk, Series
from kapacitrio.models.lazyrows import LazyRows
from kapacitrio.models.point import Batch, Dimensions


class RunSegment:
    """The windows one group emitted: slices `[starts[k], ends[k])` of the group's arrays."""

    __slots__ = ("name", "tags", "group", "dims", "time", "fields", "keys", "codes", "table")
    __slots__ += ("starts", "ends", "tmax")

    def __init__(
        self,
        meta: tuple[str, dict[str, str], str, Dimensions],
        arrays: tuple[np.ndarray, dict[str, np.ndarray], tuple[str, ...], np.ndarray, list],
        starts: np.ndarray,
        ends: np.ndarray,
        tmax: list[int],
    ) -> None:
        self.name, self.tags, self.group, self.dims = meta
        self.time, self.fields, self.keys, self.codes, self.table = arrays
        self.starts = starts
        self.ends = ends
        self.tmax = tmax

    def __len__(self) -> int:
        return len(self.tmax)

    def batches(self) -> list[Batch]:
        time, fields, keys, codes, table = self.time, self.fields, self.keys, self.codes, self.table
        out = []
        for s, e, t in zip(self.starts.tolist(), self.ends.tolist(), self.tmax, strict=True):
            pts = ColumnPoints(
                time[s:e], {k: a[s:e] for k, a in fields.items()}, keys, codes[s:e], table
            )
            out.append(Batch(self.name, self.tags, t, pts, self.group, self.dims))
        return out


class BatchRun(LazyRows):
    """Every window a chunk completed, in the order a point-by-point walk emits them.

    `order` (None: segment after segment) lists the windows' positions in the segments'
    concatenation, in emission order.
    """

    __slots__ = ("segments", "order", "n", "_rows")

    def __init__(self, segments: list[RunSegment], order: np.ndarray | None) -> None:
        self.segments = segments
        self.order = order
        self.n = sum(len(s) for s in segments)
        self._rows: list[Batch] | None = None

    def __len__(self) -> int:
        return self.n

    def __repr__(self) -> str:
        return f"BatchRun({self.n} batches, {len(self.segments)} groups)"

    def rows(self) -> list[Batch]:
        """The batches, built once."""
        if self._rows is None:
            self._rows = self.ordered([b for s in self.segments for b in s.batches()])
        return self._rows

    def ordered(self, per_window: list[Any]) -> list[Any]:
        """Values given segment after segment, put in emission order."""
        if self.order is None:
            return per_window
        return [per_window[i] for i in self.order.tolist()]


def counts_chunk(run: BatchRun, key: str) -> ColumnChunk:
    """Each window's point count as one point (field `key`, at the window's time, with the
    group's tags), in emission order: the points `count` emits for the run's batches."""
    segments = run.segments
    series = Series(
        [s.name for s in segments],
        [s.tags for s in segments],
        [s.group for s in segments],
        [s.dims for s in segments],
    )
    if len(segments) == 1:
        [seg] = segments
        time = np.array(seg.tmax, dtype=np.int64)
        counts = seg.ends - seg.starts
        codes = np.zeros(len(seg), dtype=np.int32)
    else:
        time = np.array([t for s in segments for t in s.tmax], dtype=np.int64)
        counts = np.concatenate([s.ends - s.starts for s in segments])
        codes = np.repeat(np.arange(len(segments), dtype=np.int32), [len(s) for s in segments])
        if run.order is not None:
            time, counts, codes = time[run.order], counts[run.order], codes[run.order]
    fields = {key: Column(counts.astype(np.int64, copy=False))}
    return ColumnChunk(time, codes, series, fields, None, [(key,)])
