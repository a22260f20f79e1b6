"""A time window's emissions over a whole group slice at once: every boundary, every extent.

For one group whose buffered times and new times never decrease, the point-by-point rule (a row
at or past the next emit time emits the window, then the next emit time is that row's time plus
`every`, aligned with `align`) is a recurrence over rows. On regular data its emit times form
a progression, so a run of them is guessed at once, located with one `searchsorted` and kept as
far as the recurrence confirms it; the rest is walked one emission at a time. Each window is then
a slice of the group's buffer: from the first row not older than `tmax - period` (the rows the
window drops from its front) to the row that emitted it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kapacitrio.engine.nodes.window_columns import (
    ColumnBuffer,
    ascending,
    group_slices,
    series_info,
)
from kapacitrio.models.batchrun import BatchRun, RunSegment
from kapacitrio.models.columns import ColumnChunk

_I64_MAX = 2**63 - 1
_FAR = 2**62


def _follow(t: Any, every: int, align: bool) -> Any:
    """The next emit time after an emission caused by a row at `t` (an int or an array)."""
    nxt = t + every
    return nxt - nxt % every if align else nxt


def cuts(nxt: int, ts: np.ndarray, every: int, align: bool) -> tuple[list[int], list[int], int]:
    """(rows that emit, their windows' times, the next emit time after the slice)."""
    k = len(ts)
    rows: list[int] = []
    tmax: list[int] = []
    pos = 0
    last = int(ts[-1]) if k else 0
    while pos < k:
        j = pos + int(np.searchsorted(ts[pos:], nxt, side="left"))
        if j >= k:
            break
        rows.append(j)
        tmax.append(nxt)
        nxt = _follow(int(ts[j]), every, align)
        pos = j + 1
        m = min(k - pos, (last - nxt) // every + 1)  # windows the progression could still emit
        if m < 2 or nxt + every * m > _I64_MAX:
            continue
        guess = nxt + every * np.arange(m, dtype=np.int64)
        at = pos + np.searchsorted(ts[pos:], guess, side="left")
        after = _follow(ts[at], every, align)
        wrong = np.flatnonzero(after[:-1] != guess[1:])
        kept = m if not len(wrong) else int(wrong[0]) + 1
        rows.extend(at[:kept].tolist())
        tmax.extend(guess[:kept].tolist())
        nxt = int(after[kept - 1])
        pos = int(at[kept - 1]) + 1
    return rows, tmax, nxt


class _Part:
    """One group's rows of a chunk, the same for every window reading the chunk."""

    __slots__ = ("group", "idx", "ts", "fields", "codes", "in_order")

    def __init__(self, group: str, idx: np.ndarray, ts: np.ndarray, fields: dict, codes: Any):
        self.group = group
        self.idx = idx
        self.ts = ts
        self.fields = fields
        self.codes = codes
        self.in_order = ascending(ts)


def parts_of(chunk: ColumnChunk, codes: np.ndarray) -> list[_Part]:
    """The chunk's group slices (computed once per chunk for every window reading it)."""
    parts = chunk.memo.get("window-parts")
    if parts is not None and parts[0] is codes:
        return parts[1]
    time = chunk.time
    columns = {k: c.values for k, c in chunk.fields.items()}
    slices = group_slices(chunk)
    if len(slices) == 1:
        [(group, idx)] = slices
        out = [_Part(group, idx, time, columns, codes)]
    else:
        out = [
            _Part(g, idx, time[idx], {k: a[idx] for k, a in columns.items()}, codes[idx])
            for g, idx in slices
        ]
    chunk.memo["window-parts"] = (codes, out)
    return out


def can_cut(w: ColumnBuffer, part: _Part) -> bool:
    """True when the buffered and new times of the group never decrease."""
    ts = part.ts
    if not w.ordered or not part.in_order:
        return False
    if len(ts) and int(ts[-1]) > _FAR or (w.next_emit is not None and w.next_emit > _FAR):
        return False  # emit times could leave int64: walked with Python ints
    return w.tail == w.head or not len(ts) or int(ts[0]) >= int(w.time[w.tail - 1])


def shared_cuts(rt: Any, chunk: ColumnChunk, part: _Part, nxt: int) -> tuple:
    """`cuts` of a group slice as arrays, once per chunk for every window in the same state."""
    key = ("window-cuts", part.group, nxt, rt.every, rt.align)
    got = chunk.memo.get(key)
    if got is None:
        rows, tmax, after = cuts(nxt, part.ts, rt.every, rt.align)
        got = chunk.memo[key] = (np.array(rows, dtype=np.int64), tmax, after)
    return got


def cut_group(
    rt: Any, w: ColumnBuffer, chunk: ColumnChunk, part: _Part
) -> tuple[RunSegment, np.ndarray] | None:
    """Append a group's rows and cut its windows; (the windows, the emitting rows of the
    chunk) or None when nothing was emitted. Requires `can_cut(w, part)`."""
    ts = part.ts
    k = len(ts)
    if not k:
        return None
    nxt = w.next_emit
    if nxt is None:
        nxt = rt._init_next(int(ts[0]))
    rows, tmax, nxt = shared_cuts(rt, chunk, part, nxt)
    w.next_emit = nxt
    w.append(ts, part.fields, part.codes, in_order=True)
    if not len(rows):
        return None
    base = w.tail - k
    ends = base + rows
    lows = np.array(tmax, dtype=np.int64) - rt.period
    live = w.time[w.head : w.tail]
    starts = w.head + np.searchsorted(live, lows, side="left")
    w.head = int(starts[-1])
    meta = (w.name, w.tags, w.group, w.dims)
    arrays = (w.time, dict(w.fields), w.keys, w.codes, rt.tag_table.table)
    return RunSegment(meta, arrays, starts, ends, tmax), part.idx[rows]


def feed(rt: Any, chunk: ColumnChunk) -> Any:
    """Walk a chunk through the buffers of a window runtime (`every` > 0).

    Returns the emitted batches in row order: a `BatchRun` when every group's windows were cut
    at once, else a list.
    """
    if not len(chunk):
        return []
    keys = chunk.layouts[0]
    codes = rt.tag_table.codes_for(chunk)
    columns = {k: c.values for k, c in chunk.fields.items()}
    segments: list[tuple[RunSegment, np.ndarray]] = []
    walked: list[tuple[int, Any]] = []
    for part in parts_of(chunk, codes):
        w = rt.col_groups.get(part.group)
        if w is None:
            name, tags, dims = series_info(chunk, int(part.idx[0]))
            w = rt.col_groups[part.group] = ColumnBuffer(name, tags, dims, part.group, keys)
        if can_cut(w, part):
            cut = cut_group(rt, w, chunk, part)
            if cut is not None:
                segments.append(cut)
        else:
            walked.extend(_walk_group(rt, w, part.idx, part.ts, columns, codes))
    if not walked:
        return _run(segments)
    for seg, rows in segments:
        walked.extend(zip(rows.tolist(), seg.batches(), strict=True))
    walked.sort(key=lambda e: e[0])
    return [b for _, b in walked]


def _run(segments: list[tuple[RunSegment, np.ndarray]]) -> BatchRun:
    """The cut windows of every group, ordered by the rows that emitted them."""
    if len(segments) < 2:
        return BatchRun([s for s, _ in segments], None)
    rows = np.concatenate([r for _, r in segments])
    return BatchRun([s for s, _ in segments], np.argsort(rows, kind="stable"))


def _walk_group(
    rt: Any,
    w: ColumnBuffer,
    idx: np.ndarray,
    ts: np.ndarray,
    columns: dict[str, np.ndarray],
    codes: np.ndarray,
) -> list[tuple[int, Any]]:
    """One group's rows, emission by emission: (causing row, batch) in row order."""
    k = len(ts)
    sorted_ = k < 2 or ascending(ts)
    emitted: list[tuple[int, Any]] = []
    start = 0  # rows [start, pos) wait to join the buffer
    pos = 0
    while pos < k:
        nxt = w.next_emit
        if nxt is None:
            j = pos
        elif sorted_:  # the first due row by bisection
            j = pos + int(np.searchsorted(ts[pos:], nxt, side="left"))
            if j >= k:
                break
        else:
            due = ts[pos:] >= nxt
            if not due.any():
                break
            j = pos + int(np.argmax(due))
        sel = idx[start:j]
        w.append(ts[start:j], {key: a[sel] for key, a in columns.items()}, codes[sel])
        start = j
        before = len(rt.out)
        rt._advance(w, int(ts[j]))
        emitted.extend((int(idx[j]), b) for b in rt.out[before:])
        del rt.out[before:]
        pos = j + 1
    sel = idx[start:]
    w.append(ts[start:], {key: a[sel] for key, a in columns.items()}, codes[sel])
    return emitted
