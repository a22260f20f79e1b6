"""Line protocol into a `ColumnChunk`: the whole body validated, then parsed a column at a time.

Plain bodies (every line accepted by the fast regex of `models.lineprotocol`) go straight to
columns; any other body is parsed line by line into points by the careful parser (which words
the errors), and those points become the chunk's rows. Either way the first bad line rejects
the whole body with the very `LineProtocolError` the per-point parser raises.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from kapacitrio.models import lineprotocol as lp
from kapacitrio.models.columns import (
    Column,
    ColumnChunk,
    Series,
    column_from_values,
    empty_chunk,
    from_points,
)
from kapacitrio.models.lpuniform import split_uniform

#: A marker target: keep every line (the per-line router keeps lines with truthy targets).
_ALL = (True,)


#: Text scanned per regex call when a body is parsed in a worker thread (`sliced=True`): one
#: call holds the GIL throughout, so smaller calls let the event loop's thread run in between.
SCAN_SLICE = 128 * 1024
#: Bodies shorter than this (some 30 lines) are parsed a line at a time: quicker than by columns.
UNIFORM_MIN_CHARS = 1024


def parse_chunk(
    body: bytes | str,
    mult: int,
    default_time: int,
    db: str = "",
    rp: str = "",
    wanted: Callable[[str], bool] | None = None,
    sliced: bool = False,
    tally: dict[str, int] | None = None,
) -> ColumnChunk:
    """Validate and parse a whole body; raises `LineProtocolError` naming the first bad line.

    When `wanted` is given and no measurement of a valid body is wanted, the result is empty
    (the body is still validated). `sliced` scans the text in slices (for worker threads).
    `tally`, when given, gets the number of points of a valid body per measurement added
    to it, wanted or not (ingress statistics).
    """
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    uniform = None
    if not sliced and len(text) >= UNIFORM_MIN_CHARS:
        uniform = _parse_uniform(body, text, mult, db, rp, wanted, tally, SeriesTable())
    if uniform is not None:
        return uniform
    found = _scan_sliced(text) if sliced else lp._scan(text)
    if found is None:
        return _careful(lp._lines_slow(text), mult, default_time, db, rp, wanted, tally)
    if not found:
        return empty_chunk(db, rp)
    chunk = _plain_columns(found, mult, default_time, db, rp, wanted, tally)
    if chunk is None:  # a line holds a field key twice: the per-line parser settles it
        return _careful(found, mult, default_time, db, rp, wanted, tally)
    return chunk


def parse_uniform(
    body: bytes | str,
    mult: int,
    db: str = "",
    rp: str = "",
    wanted: Callable[[str], bool] | None = None,
    tally: dict[str, int] | None = None,
    table: SeriesTable | None = None,
) -> ColumnChunk | None:
    """`parse_chunk` of a uniform body (`models.lpuniform`), or None for any other body.

    The chunk's series are those of `table` (a fresh one by default): the slices of one body that
    share a table share their series and its codes, as if parsed together.
    """
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return _parse_uniform(body, text, mult, db, rp, wanted, tally, table or SeriesTable())


def _scan_sliced(text: str) -> list[Any] | None:
    """`lineprotocol._scan` a slice of whole lines at a time (no plain line spans a newline)."""
    found: list[Any] = []
    start = 0
    while start < len(text):
        end = text.find("\n", start + SCAN_SLICE)
        end = len(text) if end < 0 else end + 1
        part = lp._scan(text[start:end])
        if part is None:
            return None
        found += part
        start = end
    return found


def _count(tally: dict[str, int], names: Any) -> None:
    for name, n in Counter(names).items():
        tally[name] = tally.get(name, 0) + n


def _careful(
    items: list[Any],
    mult: int,
    default_time: int,
    db: str,
    rp: str,
    wanted: Any,
    tally: dict[str, int] | None = None,
) -> ColumnChunk:
    runs = lp._route_mixed(items, mult, default_time, db, rp, {}, _ALL)
    points = [p for _, pts in runs for p in pts]
    if tally is not None:
        _count(tally, [p.name for p in points])
    if wanted is not None and not any(wanted(n) for n in {p.name for p in points}):
        return empty_chunk(db, rp)
    return from_points(points, db, rp)


def _times(stamps: tuple[str, ...], found: list[Any], mult: int, default_time: int) -> np.ndarray:
    """The time column; a timestamp out of range raises the careful parser's error."""
    tmin, tmax, _ = lp._time_check(mult)
    if "" not in stamps:
        ints = list(map(int, stamps))
        if min(ints) < tmin or max(ints) > tmax:
            _raise_first(ints, found, mult, tmin, tmax)
        arr = np.array(ints, dtype=np.int64)
        return arr * mult if mult != 1 else arr
    ints = [int(ts) if ts else None for ts in stamps]
    given = [t for t in ints if t is not None]
    if given and (min(given) < tmin or max(given) > tmax):
        _raise_first(ints, found, mult, tmin, tmax)
    return np.array([default_time if t is None else t * mult for t in ints], dtype=np.int64)


def _raise_first(ints: list[Any], found: list[Any], mult: int, tmin: int, tmax: int) -> None:
    for i, t in enumerate(ints):
        if t is not None and (t < tmin or t > tmax):
            lp.parse_line(lp._join(found[i]), mult)  # raises its error
    raise AssertionError("a timestamp was out of range")  # pragma: no cover


def _plain_columns(
    found: list[Any],
    mult: int,
    default_time: int,
    db: str,
    rp: str,
    wanted: Any,
    tally: dict[str, int] | None = None,
) -> ColumnChunk | None:
    names, tagtexts, fkeys, ffloats, fothers, rests, stamps = zip(*found, strict=True)
    times = _times(stamps, found, mult, default_time)
    if wanted is not None and not any(wanted(n) for n in set(names)):
        if tally is not None:
            _count(tally, names)
        return empty_chunk(db, rp)
    fields = _fields(len(found), fkeys, ffloats, fothers, rests)
    if fields is None:
        return None
    columns, layout_codes, layouts = fields
    codes, series = _series(list(map(str.__add__, names, tagtexts)))
    if tally is not None:
        _count(tally, names)
    return ColumnChunk(times, codes, series, columns, layout_codes, layouts, db, rp)


def _parse_uniform(
    body: bytes | str,
    text: str,
    mult: int,
    db: str,
    rp: str,
    wanted: Any,
    tally: dict[str, int] | None,
    table: SeriesTable,
) -> ColumnChunk | None:
    """The chunk of a uniform body (`lpuniform.split_uniform`), its series in `table`; None
    for any other body."""
    tmin, tmax, _ = lp._time_check(mult)
    lines = split_uniform(body, text, tmin, tmax) if text else None
    if lines is None:
        return None
    codes = table.codes(lines.keys, lines.distinct)
    names = table.measurements(lines.distinct)
    if tally is not None:
        if len(names) == 1:
            [name] = names
            tally[name] = tally.get(name, 0) + len(codes)
        else:
            series_names = table.series.names
            for code, n in enumerate(np.bincount(codes).tolist()):
                if n:
                    tally[series_names[code]] = tally.get(series_names[code], 0) + n
    if wanted is not None and not any(map(wanted, names)):
        return empty_chunk(db, rp)
    times = lines.times * mult if mult != 1 else lines.times
    return ColumnChunk(times, codes, table.series, lines.fields, None, [lines.layout], db, rp)


class SeriesTable:
    """Series numbered in order of first appearance, by their `name,tags` text: one table for
    the slices of one body, whose chunks then share one `Series` (complete once the last slice
    is parsed; nothing reads it before)."""

    def __init__(self) -> None:
        self.position: dict[str, int] = {}
        self.series = Series([], [])
        self._measurements: set[str] = set()

    def codes(self, keys: list[str], distinct: list[str]) -> np.ndarray:
        """Each line's series code (`distinct`: the keys once each), adding new series."""
        position = self.position
        for key in distinct:
            if key not in position:
                position[key] = len(position)
                name, comma, tagtext = key.partition(",")
                self.series.names.append(name)
                self.series.tags.append(lp._tag_dict(comma + tagtext))
                self._measurements.add(name)
        return np.fromiter(map(position.__getitem__, keys), np.int32, len(keys))

    def measurements(self, distinct: list[str]) -> set[str]:
        """The measurements of these keys (of series in the table)."""
        if len(self._measurements) == 1:
            return self._measurements
        names = self.series.names
        return {names[self.position[key]] for key in distinct}


def _series(keys: list[str]) -> tuple[np.ndarray, Series]:
    """Each line's series code, and the series, from each line's `name,tags` text (in order of
    first appearance)."""
    table = SeriesTable()
    return table.codes(keys, list(dict.fromkeys(keys))), table.series


_Fields = tuple[dict[str, Column], np.ndarray | None, list[tuple[str, ...]]]


def _fields(
    n: int,
    fkeys: tuple[str, ...],
    ffloats: tuple[str, ...],
    fothers: tuple[str, ...],
    rests: tuple[str, ...],
) -> _Fields | None:
    """Field columns of plain lines, or None when a line repeats a field key."""
    one_key = fkeys.count(fkeys[0]) == n
    if one_key and rests.count("") == n and fothers.count("") == n:  # one float field per line
        values = np.array(list(map(float, ffloats)), dtype=np.float64)
        return {fkeys[0]: Column(values)}, None, [(fkeys[0],)]
    layout_index: dict[tuple[str, ...], int] = {}
    lcodes: list[int] = []
    per_key: dict[str, tuple[list[int], list[Any]]] = {}
    value = lp._plain_value
    for i, (fk, ff, fo, rest) in enumerate(zip(fkeys, ffloats, fothers, rests, strict=True)):
        keys = [fk]
        vals = [float(ff) if ff else value(fo)]
        if rest:
            for kv in rest[1:].split(","):
                k, _, v = kv.partition("=")
                keys.append(k)
                vals.append(value(v))
            if len(set(keys)) != len(keys):
                return None
        layout = tuple(keys)
        lc = layout_index.get(layout)
        if lc is None:
            lc = layout_index[layout] = len(layout_index)
        lcodes.append(lc)
        for k, v in zip(keys, vals, strict=True):
            slot = per_key.get(k)
            if slot is None:
                slot = per_key[k] = ([], [])
            slot[0].append(i)
            slot[1].append(v)
    columns: dict[str, Column] = {}
    for k, (rows, vals) in per_key.items():
        if len(rows) == n:
            columns[k] = column_from_values(vals)
            continue
        dense: list[Any] = [None] * n
        for r, v in zip(rows, vals, strict=True):
            dense[r] = v
        present = np.zeros(n, dtype=np.bool_)
        present[rows] = True
        columns[k] = column_from_values(dense, present)
    layouts = list(layout_index)
    codes = None if len(layouts) == 1 else np.array(lcodes, dtype=np.int32)
    return columns, codes, layouts
