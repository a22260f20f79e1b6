"""The alert node's columnar pieces: a chunk's levels as one array, and each group's state machine
walked over that array (with numpy where no flapping or stateChangesOnly interval needs a walk)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from kapacitrio.alerting import levels
from kapacitrio.engine.nodes._alert_options import AlertOptions
from kapacitrio.engine.nodes._alert_state import GroupState
from kapacitrio.engine.nodes._columnar import columnar_lambda
from kapacitrio.models.columns import ColumnChunk
from kapacitrio.tick.columnar import ColumnarExpression

_MISSING = object()

#: Levels travel as one byte a row: the walks test and count them as bytes (C speed).
LEVEL_DTYPE = np.int8
_LEVEL_BYTES = tuple(bytes([lvl]) for lvl in range(4))  # OK, INFO, WARNING, CRITICAL


class ColumnarLevels:
    """The level lambdas in columnar form (index = level) and the memo key of their verdicts."""

    __slots__ = ("exprs", "key")

    def __init__(self, exprs: list[ColumnarExpression | None]) -> None:
        self.exprs = exprs
        self.key = ("levels", *(e.key if e is not None else "" for e in exprs))


def columnar_levels(opts: AlertOptions) -> ColumnarLevels | None:
    """The level lambdas in columnar form, or None when a chunk must go point by point: a reset
    lambda (the level then depends on the group's current level), or a lambda that is stateful
    or has no columnar form."""
    if any(r is not None for r in opts.resets):
        return None
    out: list[ColumnarExpression | None] = [None, None, None, None]
    for lvl, node in enumerate(opts.level_nodes):
        if node is None:
            continue
        if opts.exprs[lvl].stateful:
            return None
        col = columnar_lambda(node)
        if col is None:
            return None
        out[lvl] = col
    return ColumnarLevels(out)


def chunk_levels(levels_: ColumnarLevels, chunk: ColumnChunk) -> np.ndarray | None:
    """Each row's level (the highest whose lambda holds), or None when some row needs the
    per-point code (a value the columns cannot vouch for: the per-point path counts its errors).

    Rows the router took from a bigger chunk (`"origin"` in the memo) take their levels from
    the whole chunk's, computed once for every task with the same level lambdas."""
    of_whole = _of_whole(chunk, levels_.key, lambda whole: _levels(levels_.exprs, whole))
    if of_whole is not None:
        whole, idx = of_whole
        if whole is not None:  # else some row of the whole needs points: maybe not these
            return whole[idx]
    return _levels(levels_.exprs, chunk)


def _of_whole(chunk: ColumnChunk, key: Any, compute: Callable[[ColumnChunk], Any]) -> Any:
    """For rows the router took from a bigger chunk (`"origin"` in the memo): `compute` of that
    whole chunk, memoised on it under `key` so every task shares it, and the rows' indices
    into it. None for any other chunk."""
    origin = chunk.memo.get("origin")
    if origin is None:
        return None
    parent, idx = origin
    whole = parent.memo.get(key, _MISSING)
    if whole is _MISSING:
        whole = parent.memo[key] = compute(parent)
    return whole, idx


def _levels(exprs: list[ColumnarExpression | None], chunk: ColumnChunk) -> np.ndarray | None:
    """Each row's level as one byte (`LEVEL_DTYPE`), or None as `chunk_levels`."""
    level = np.zeros(len(chunk), dtype=LEVEL_DTYPE)
    for lvl in (levels.INFO, levels.WARNING, levels.CRITICAL):  # higher levels overwrite
        expr = exprs[lvl]
        if expr is None:
            continue
        res = expr.evaluate_bool(chunk)
        if res is None:
            return None
        holds, fallback = res
        if fallback.any():
            return None
        level[np.asarray(holds, dtype=np.bool_)] = lvl
    return level


#: Up to this many rows a group's walk goes row by row (measured: faster below ~100 rows).
SMALL_WALK = 64
_NO_ROWS = np.zeros(0, dtype=np.int64)
_FIRST_ROW = np.zeros(1, dtype=np.int64)
_NO_ROWS.flags.writeable = _FIRST_ROW.flags.writeable = False


def walk_group(
    st: GroupState, opts: AlertOptions, lv: np.ndarray, t: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Run one group's rows (levels `lv` at times `t`) through its state machine.

    Returns the positions (into `lv`) of the rows that trigger an event and each one's duration;
    the group's state afterwards is what point-by-point handling leaves.
    """
    if opts.flapping or opts.sco_interval:
        return _walk_sequential(st, opts, lv.tolist(), t.tolist())
    if _uniform(lv):
        return walk_uniform(st, opts, int(lv[0]), t)
    if len(lv) <= SMALL_WALK:
        return walk_rows(st, opts, lv, t)
    return walk_arrays(st, opts, lv, t)


def _uniform(lv: np.ndarray) -> bool:
    """Whether every row has the same level (counting a byte of a short bytes object is far
    cheaper than a numpy comparison and reduction)."""
    b = lv.tobytes()
    return b.count(b[:1]) == len(b)


def level_counts(lvls: np.ndarray) -> list[int]:
    """How many rows have each level (OK, INFO, WARNING, CRITICAL)."""
    b = lvls.tobytes()
    return [b.count(c) for c in _LEVEL_BYTES]


def walk_arrays(
    st: GroupState, opts: AlertOptions, lv: np.ndarray, t: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """`walk_group` by whole-array operations."""
    prev = np.empty_like(lv)
    prev[0] = st.current
    prev[1:] = lv[:-1]
    changed = lv != prev
    fire = changed if opts.state_changes_only else (lv != levels.OK) | changed
    st.push_levels(lv[-len(st.history) :].tolist())
    pos = fire.nonzero()[0]
    if not len(pos):
        return pos, pos
    ft = t[pos]
    # A trigger after an OK level starts a new alert: durations count from the latest such start.
    starts = np.where(prev[pos] == levels.OK, np.arange(len(pos)), -1)
    latest = np.maximum.accumulate(starts)
    first = np.where(latest >= 0, ft[np.maximum(latest, 0)], st.first_triggered)
    st.first_triggered = int(first[-1])
    st.last_triggered = int(ft[-1])
    return pos, ft - first


def walk_rows(
    st: GroupState, opts: AlertOptions, lv: np.ndarray, t: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """`walk_group` one row at a time: faster than array operations for a few rows."""
    levels_, times = lv.tolist(), t.tolist()
    prev, first = st.current, st.first_triggered
    every_level = not opts.state_changes_only
    pos: list[int] = []
    dur: list[int] = []
    for j, level in enumerate(levels_):
        if level != prev or (every_level and level != levels.OK):
            if prev == levels.OK:  # a trigger after OK starts a new alert
                first = times[j]
            pos.append(j)
            dur.append(times[j] - first)
        prev = level
    st.push_levels(levels_[-len(st.history) :])
    if pos:
        st.first_triggered = first
        st.last_triggered = times[pos[-1]]
    return np.array(pos, dtype=np.int64), np.array(dur, dtype=np.int64)


def walk_uniform(
    st: GroupState, opts: AlertOptions, level: int, t: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """`walk_group` of rows that all have one level (a group staying OK, or staying critical):
    every row fires when the level is not OK (unless stateChangesOnly), else at most the first,
    when the level changed."""
    before = st.current
    st.push_levels([level] * min(len(t), len(st.history)))
    if level != levels.OK and not opts.state_changes_only:
        pos, fired_t = np.arange(len(t)), t
    elif before != level:
        pos, fired_t = _FIRST_ROW, t[:1]
    else:
        return _NO_ROWS, _NO_ROWS
    first = int(t[0]) if before == levels.OK else st.first_triggered
    st.first_triggered = first
    st.last_triggered = int(fired_t[-1])
    return pos, fired_t - first


def _walk_sequential(
    st: GroupState, opts: AlertOptions, lv: list[int], t: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    """The walk with flapping or a stateChangesOnly interval: one step per row, as per point."""
    pos: list[int] = []
    dur: list[int] = []
    flapping, sco = opts.flapping, opts.state_changes_only
    for j, (level, tt) in enumerate(zip(lv, t, strict=True)):
        st.add_event(tt, level, opts)
        if (flapping and st.flapping) or (sco and not st.changed and not st.expired):
            continue
        if level == levels.OK and not st.changed:
            continue
        st.triggered(tt)
        pos.append(j)
        dur.append(st.duration)
    return np.array(pos, dtype=np.int64), np.array(dur, dtype=np.int64)


def group_rows(codes: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """(group code, its row indices in order) for every group, in order of first appearance."""
    if len(codes) and (codes == codes[0]).all():
        return [(int(codes[0]), np.arange(len(codes)))]
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    bounds = np.flatnonzero(np.diff(sorted_codes)) + 1
    parts = np.split(order, bounds)
    parts.sort(key=lambda rows: rows[0])
    return [(int(codes[rows[0]]), rows) for rows in parts]


def encodable_chunk(chunk: ColumnChunk) -> bool | None:
    """True when no float field of the chunk is NaN or infinite; None when a column of mixed
    values leaves it to each event. Rows the router took from a bigger chunk have the answer
    of the whole when that is True (computed once for every task)."""
    of_whole = _of_whole(chunk, "encodable", _encodable)
    if of_whole is not None and of_whole[0]:
        return True
    return _encodable(chunk)


def _encodable(chunk: ColumnChunk) -> bool | None:
    for col in chunk.fields.values():
        kind = col.values.dtype.kind
        if kind == "O":
            return None
        if kind == "f":
            vals = col.values if col.present is None else col.values[col.present]
            if not np.isfinite(vals).all():
                return None
    return True
