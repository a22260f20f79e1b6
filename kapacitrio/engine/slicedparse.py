"""A large write body parsed a slice of lines at a time, with a pause between slices (so a small
write is answered meanwhile), joined into the very chunk a parse of the whole body gives.

A uniform stretch of lines (`models.lpuniform`) is parsed by columns in larger slices than the
rest. Only a body without `"` and `\\` is cut: there every newline ends a line, so each slice holds
whole lines and the slices' lines are the body's lines. Any other body, a body with a bad line
and one that needs the careful parser is parsed whole instead: its error (the first bad line's)
and its points are exactly those of `parse_chunk` on the whole body.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import numpy as np
import trio
import trio.testing

from kapacitrio.models.columns import Column, ColumnChunk, Series, column_from_values, empty_chunk
from kapacitrio.models.lineprotocol import LineProtocolError
from kapacitrio.models.lpcolumns import SeriesTable, parse_chunk, parse_uniform

#: Body text per slice (about 500 lines of a Telegraf-like body, well under 1 ms to parse).
SLICE_BYTES = 24 * 1024
#: Body text per slice of uniform lines (about 1000 lines, parsed by columns in about 1 ms).
UNIFORM_SLICE_BYTES = 48 * 1024

#: The longest a large write waits for the event loop to be idle before its next slice.
IDLE_WAIT_S = 0.02


def sliceable(body: bytes | str) -> bool:
    """Whether every newline of the body ends a line (no quoted strings, no escapes)."""
    quote, escape = ('"', "\\") if isinstance(body, str) else (b'"', b"\\")
    return len(body) > SLICE_BYTES and quote not in body and escape not in body  # type: ignore[operator]


def line_slices(body: bytes | str, size: int = 0) -> list[Any]:
    """The body cut after the first newline at or past every `size` (`SLICE_BYTES`) characters."""
    size = size or SLICE_BYTES
    nl = "\n" if isinstance(body, str) else b"\n"
    out = []
    start = 0
    while start < len(body):
        end = body.find(nl, start + size)  # type: ignore[arg-type]
        end = len(body) if end < 0 else end + 1
        out.append(body[start:end])
        start = end
    return out


async def parse_sliced(
    body: bytes | str,
    mult: int,
    default_time: int,
    db: str,
    rp: str,
    wanted: Callable[[str], bool],
    tally: dict[str, int],
    pause: Callable[[], Awaitable[None]],
) -> list[ColumnChunk]:
    """`parse_chunk` of a `sliceable` body, awaiting `pause()` before each slice: the chunks of
    consecutive slices (`pieces` joins them), or the whole body's chunk.

    A uniform stretch of the body (`models.lpuniform`) is parsed `UNIFORM_SLICE_BYTES` at a time,
    any other `SLICE_BYTES` at a time. Raises the `LineProtocolError` of the whole body; `tally`
    gets counts only for a valid body.
    """
    counted: dict[str, int] = {}
    table = SeriesTable()  # the uniform slices' series, in one table

    async def plain_slices(stretch: Any) -> list[ColumnChunk | None]:
        """`SLICE_BYTES` slices of a stretch that is not uniform (None: the careful parser's
        rows, which the whole body settles)."""
        out: list[ColumnChunk | None] = []
        for j, part in enumerate(line_slices(stretch)):
            if j:
                await pause()
            chunk = parse_chunk(part, mult, default_time, db, rp, wanted, tally=counted)
            out.append(None if chunk and chunk.has_rows else chunk)
        return out

    chunks: list[ColumnChunk] = []
    try:
        for stretch in line_slices(body, UNIFORM_SLICE_BYTES):
            await pause()  # the first too: what is ready to run goes before this write's work
            chunk = parse_uniform(stretch, mult, db, rp, wanted, counted, table)
            parts = [chunk] if chunk is not None else await plain_slices(stretch)
            if None in parts:
                break
            chunks += parts  # type: ignore[arg-type]
        else:
            for name, n in counted.items():
                tally[name] = tally.get(name, 0) + n
            return chunks
    except LineProtocolError:
        pass
    return [parse_chunk(body, mult, default_time, db, rp, wanted, tally=tally)]


def pieces(chunks: list[ColumnChunk], rows: int, db: str, rp: str) -> Iterator[ColumnChunk]:
    """Consecutive chunks joined into pieces of at most `rows` rows (a longer chunk cut up),
    in order; a body of at most `rows` rows is one piece, as if parsed whole."""
    group: list[ColumnChunk] = []
    size = 0
    for chunk in chunks:
        if group and size + len(chunk) > rows:
            yield concat(group, db, rp)
            group, size = [], 0
        if len(chunk) > rows:
            for start in range(0, len(chunk), rows):
                yield chunk.take(np.arange(start, min(start + rows, len(chunk))))
            continue
        group.append(chunk)
        size += len(chunk)
    if group:
        yield concat(group, db, rp)


def concat(chunks: list[ColumnChunk], db: str, rp: str) -> ColumnChunk:
    """Fresh chunks parsed from consecutive slices as one chunk, as if parsed together: series,
    layouts and field keys numbered in order of first appearance, mixed types as objects."""
    chunks = [c for c in chunks if c]
    if len(chunks) == 1:
        return chunks[0]
    if not chunks:
        return empty_chunk(db, rp)
    codes, series = _joined_series(chunks)
    l_index: dict[tuple[str, ...], int] = {}
    lcodes = []
    for c in chunks:
        lmap = np.array([l_index.setdefault(lay, len(l_index)) for lay in c.layouts], np.int32)
        lcodes.append(np.full(len(c), lmap[0]) if c.layout_codes is None else lmap[c.layout_codes])
    layout_codes = None if len(l_index) == 1 else np.concatenate(lcodes).astype(np.int32)
    keys = {k: None for c in chunks for k in c.fields}
    fields = {k: _joined([(len(c), c.fields.get(k)) for c in chunks]) for k in keys}
    return ColumnChunk(
        np.concatenate([c.time for c in chunks]),
        codes,
        series,
        fields,
        layout_codes,
        list(l_index),
        db,
        rp,
    )


def _joined_series(chunks: list[ColumnChunk]) -> tuple[np.ndarray, Series]:
    """The series codes of consecutive chunks joined, and their series: the one table of a
    body's uniform slices as it is, any other series renumbered in order of first appearance."""
    first = chunks[0].series
    if all(c.series is first for c in chunks):
        return np.concatenate([c.series_codes for c in chunks]), first
    index: dict[Any, int] = {}
    names: list[str] = []
    tags: list[dict[str, str]] = []
    codes = []
    last: Series | None = None
    remap = np.zeros(0, np.int32)
    for c in chunks:
        s = c.series
        if last is None or s.names != last.names or s.tags != last.tags:  # (often the same)
            remap = _series_codes(s, index, names, tags)
            last = s
        codes.append(remap[c.series_codes])
    return np.concatenate(codes), Series(names, tags)


def _series_codes(
    s: Series, index: dict[Any, int], names: list[str], tags: list[dict[str, str]]
) -> np.ndarray:
    """The joined chunk's code of each series of `s`, adding new series to the tables.

    A series is its name and tags in their order (as a parse tells series apart)."""
    known = len(index)
    keys = [(n, tuple(t.items())) for n, t in zip(s.names, s.tags, strict=True)]
    remap = [index.setdefault(k, len(index)) for k in keys]
    if len(index) > known:
        for i, code in enumerate(remap):
            if code == len(names):
                names.append(s.names[i])
                tags.append(s.tags[i])
    return np.array(remap, dtype=np.int32)


def _joined(parts: list[tuple[int, Column | None]]) -> Column:
    """One field's column over consecutive chunks (None: the field is absent in that chunk)."""
    present = [
        np.zeros(n, np.bool_)
        if c is None
        else np.ones(n, np.bool_)
        if c.present is None
        else c.present
        for n, c in parts
    ]
    mask = np.concatenate(present)
    dtypes = {c.values.dtype for _, c in parts if c is not None}
    if len(dtypes) == 1 and object not in dtypes:
        [dtype] = dtypes
        values = np.concatenate([np.zeros(n, dtype) if c is None else c.values for n, c in parts])
        return Column(values, None if mask.all() else mask)
    vals: list[Any] = []
    for n, c in parts:
        vals += [None] * n if c is None else c.values.tolist()
    vals = [v if m else None for v, m in zip(vals, mask.tolist(), strict=True)]
    return column_from_values(vals, None if mask.all() else mask)


async def until_idle() -> None:
    """Let every other runnable task go first: return once nothing else is ready to run (no I/O
    either), or after `IDLE_WAIT_S` of Trio time, so a large write cannot be starved for ever."""
    with trio.move_on_after(IDLE_WAIT_S):
        await trio.testing.wait_all_tasks_blocked()
