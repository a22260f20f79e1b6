"""Columnar buffers of a time window: one growable ring of arrays per group.

A group's buffer holds times (int64), one array per field and the row's tags as an int32 code
into a table shared by the window. Rows are appended a slice at a time and dropped from the
front by moving `head`; the live part is never written again, so an emitted batch is a view of
it. The emission rule is the point-by-point one: a row at or past the group's next emit time
emits the window before the row joins it. Emissions across groups are ordered by the row that
caused them, as a point-by-point walk would order them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kapacitrio.models.colbatch import ColumnPoints
from kapacitrio.models.columns import ColumnChunk
from kapacitrio.models.point import NO_DIMENSIONS, BatchPoint, Dimensions

_MIN_CAPACITY = 64


class ColumnBuffer:
    """The rows of one group's window."""

    __slots__ = ("name", "tags", "dims", "group", "next_emit", "keys", "time", "fields", "codes")
    __slots__ += ("head", "tail", "ordered")

    def __init__(
        self, name: str, tags: dict[str, str], dims: Dimensions, group: str, keys: tuple[str, ...]
    ) -> None:
        self.name = name
        self.tags = dims.group_tags(tags)
        self.dims = dims
        self.group = group
        self.next_emit: int | None = None
        self.keys = keys
        self.time = np.zeros(0, dtype=np.int64)
        self.fields: dict[str, np.ndarray] = {}
        self.codes = np.zeros(0, dtype=np.int32)
        self.head = 0
        self.tail = 0
        self.ordered = True  # the live times never decrease (front drops can bisect)

    def __len__(self) -> int:
        return self.tail - self.head

    def append(
        self,
        time: np.ndarray,
        fields: dict[str, np.ndarray],
        codes: np.ndarray,
        in_order: bool = False,
    ) -> None:
        """Rows at the back; `in_order`: the caller knows they keep the times non-decreasing."""
        k = len(time)
        if not k:
            return
        if not self.fields:
            self.fields = {key: np.zeros(0, dtype=a.dtype) for key, a in fields.items()}
        if self.tail + k > len(self.time):
            self._grow(k)
        t, e = self.tail, self.tail + k
        if (
            self.ordered
            and not in_order
            and ((t > self.head and time[0] < self.time[t - 1]) or (k > 1 and not ascending(time)))
        ):
            self.ordered = False
        self.time[t:e] = time
        self.codes[t:e] = codes
        for key, arr in fields.items():
            self.fields[key][t:e] = arr
        self.tail = e

    def _grow(self, k: int) -> None:
        """New arrays with room for `k` more rows (old ones stay valid for emitted views)."""
        live = self.tail - self.head
        cap = max(_MIN_CAPACITY, 2 * (live + k))
        h, t = self.head, self.tail
        time = np.empty(cap, dtype=np.int64)
        time[:live] = self.time[h:t]
        codes = np.empty(cap, dtype=np.int32)
        codes[:live] = self.codes[h:t]
        fields = {}
        for key, arr in self.fields.items():
            new = np.empty(cap, dtype=arr.dtype)
            new[:live] = arr[h:t]
            fields[key] = new
        self.time, self.codes, self.fields = time, codes, fields
        self.head, self.tail = 0, live

    def drop_before(self, low: int) -> None:
        """Drop the leading rows older than `low` (only the front, as a deque's popleft)."""
        live = self.time[self.head : self.tail]
        if self.ordered:
            self.head += int(np.searchsorted(live, low, side="left"))
            return
        if len(live) and live[0] < low:
            newer = live >= low
            self.head += int(np.argmax(newer)) if newer.any() else len(live)

    def points(self, table: list[dict[str, str]]) -> ColumnPoints:
        h, t = self.head, self.tail
        return ColumnPoints(
            self.time[h:t],
            {k: a[h:t] for k, a in self.fields.items()},
            self.keys,
            self.codes[h:t],
            table,
        )

    def rows(self, table: list[dict[str, str]]) -> list[BatchPoint]:
        return list(self.points(table)) if len(self) else []

    def nbytes(self) -> int:
        return self.time.nbytes + self.codes.nbytes + sum(a.nbytes for a in self.fields.values())


def ascending(a: np.ndarray) -> bool:
    return bool((a[1:] >= a[:-1]).all())


def accepts(chunk: ColumnChunk) -> bool:
    """A chunk the buffers can hold: one field layout, every row has every field, typed."""
    if chunk.layout_codes is not None:
        return False
    return all(c.present is None and c.values.dtype != object for c in chunk.fields.values())


def group_slices(chunk: ColumnChunk) -> list[tuple[str, np.ndarray]]:
    """(group ID, row indices) per group, groups in order of their first row."""
    codes, table = chunk.group_codes()
    if len(table) == 1:
        return [(table[0], np.arange(len(chunk)))]
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    cuts = np.flatnonzero(np.diff(sorted_codes)) + 1
    parts = np.split(order, cuts)
    parts.sort(key=lambda idx: int(idx[0]))
    return [(table[int(codes[idx[0]])], idx) for idx in parts]


class TagTable:
    """Full tags dicts of buffered rows, each distinct set stored once."""

    def __init__(self) -> None:
        self.table: list[dict[str, str]] = []
        self._codes: dict[tuple, int] = {}
        self._series: Any = None
        self._per_series = np.zeros(0, dtype=np.int32)

    def codes_for(self, chunk: ColumnChunk) -> np.ndarray:
        """Per-row codes for a chunk's rows (one lookup per series; once per chunk for every
        window sharing the table)."""
        memo = chunk.memo
        rows = memo.get(self)
        if rows is None:
            rows = memo[self] = self._per_series_of(chunk)[chunk.series_codes]
        return rows

    def _per_series_of(self, chunk: ColumnChunk) -> np.ndarray:
        if chunk.series is not self._series:  # else: the same series tables as last time
            codes = self._codes
            table = self.table
            series = chunk.series
            per_series = []
            for tags, key in zip(series.tags, tag_keys(series), strict=True):
                code = codes.get(key)
                if code is None:
                    code = codes[key] = len(table)
                    table.append(tags)
                per_series.append(code)
            self._series = series
            self._per_series = np.array(per_series, dtype=np.int32)
        return self._per_series


#: One table for every window of the process: the tags of buffered rows are the same whichever
#: task buffers them, so the tasks reading one chunk look its series up once.
SHARED_TAGS = TagTable()


def tag_keys(series: Any) -> list[tuple]:
    """Each series' tags as a hashable key (computed once for every task reading the series)."""
    keys = series.cache.get("tag_items")
    if keys is None:
        keys = series.cache["tag_items"] = [tuple(t.items()) for t in series.tags]
    return keys


def series_info(chunk: ColumnChunk, row: int) -> tuple[str, dict[str, str], Dimensions]:
    s = chunk.series
    code = int(chunk.series_codes[row])
    dims = NO_DIMENSIONS if s.dims is None else s.dims[code]
    return s.names[code], s.tags[code], dims
