"""Columnar chunks: a write's points as numpy columns, with the rows built only when asked for.

A `ColumnChunk` holds `n` rows. Times are one int64 array. Each row belongs to a series (an int32
code into per-series tables: measurement name, tags dict, group ID, dimensions), so tags are
dictionary-encoded by construction and grouping is a per-series mapping. Each field is a `Column`:
a typed array (float64, int64, bool, or object for strings, mixed types and uints past int64)
and an optional presence mask. Field order per row is kept as a layout code (a tuple of keys).

A chunk is a read-only sequence of `Point`s (`len`, iteration, indexing, slicing): the rows are
built once, on first use, and shared by every reader, so a node that wants rows never notices.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kapacitrio.models.lazyrows import LazyRows
from kapacitrio.models.point import NO_DIMENSIONS, Dimensions, Point

_I64_MIN, _I64_MAX = -(2**63), 2**63 - 1


class Column:
    """One field over a chunk's rows: `values` (typed array) and `present` (bool mask or None).

    Absent slots hold a filler value that nobody reads.
    """

    __slots__ = ("values", "present")

    def __init__(self, values: np.ndarray, present: np.ndarray | None = None) -> None:
        self.values = values
        self.present = present

    @property
    def kind(self) -> type:
        """The Python type every present value has, or `object` when they are mixed."""
        return (
            _KINDS.get(self.values.dtype.kind, object)
            if self.values.dtype != object
            else (_object_kind(self.values, self.present))
        )

    def take(self, idx: np.ndarray) -> Column:
        present = None if self.present is None else self.present[idx]
        if present is not None and present.all():
            present = None
        return Column(self.values[idx], present)


_KINDS = {"f": float, "i": int, "b": bool}


def _object_kind(values: np.ndarray, present: np.ndarray | None) -> type:
    vals = values if present is None else values[present]
    types = set(map(type, vals.tolist()))
    return types.pop() if len(types) == 1 else object


def column_from_values(values: list[Any], present: np.ndarray | None = None) -> Column:
    """A column from Python values (None in absent slots): typed when every present value agrees."""
    types = (
        {type(v) for v in values} - {type(None)} if present is not None else set(map(type, values))
    )
    if types == {float}:
        arr = np.array([0.0 if v is None else v for v in values], dtype=np.float64)
    elif types == {bool}:
        arr = np.array([False if v is None else v for v in values], dtype=np.bool_)
    elif types == {int} and all(v is None or _I64_MIN <= v <= _I64_MAX for v in values):
        arr = np.array([0 if v is None else v for v in values], dtype=np.int64)
    else:
        arr = np.empty(len(values), dtype=object)
        arr[:] = values
    return Column(arr, present)


class Series:
    """Per-series tables of a chunk (shared by chunks derived from it)."""

    __slots__ = ("names", "tags", "groups", "dims", "cache")

    def __init__(
        self,
        names: list[str],
        tags: list[dict[str, str]],
        groups: list[str] | None = None,
        dims: list[Dimensions] | None = None,
    ) -> None:
        self.names = names
        self.tags = tags
        self.groups = groups  # None: every group is "" (fresh points)
        self.dims = dims  # None: every series has NO_DIMENSIONS
        #: Facts derived from the names and tags alone (shared with regrouped copies).
        self.cache: dict[Any, Any] = {}

    def regrouped(self, groups: list[str] | None, dims: list[Dimensions] | None) -> Series:
        s = Series(self.names, self.tags, groups, dims)
        s.cache = self.cache
        return s


class ColumnChunk(LazyRows):
    """Rows of one write for one task (or derived by a node), as columns; read-only once sent."""

    __slots__ = (
        "n",
        "time",
        "series_codes",
        "series",
        "fields",
        "layout_codes",
        "layouts",
        "db",
        "rp",
        "_rows",
        "_names",
        "_group_codes",
        "_tag_columns",
        "memo",
    )

    def __init__(
        self,
        time: np.ndarray,
        series_codes: np.ndarray,
        series: Series,
        fields: dict[str, Column],
        layout_codes: np.ndarray | None,
        layouts: list[tuple[str, ...]],
        db: str = "",
        rp: str = "",
        rows: list[Point] | None = None,
    ) -> None:
        self.n = len(time)
        self.time = time
        self.series_codes = series_codes
        self.series = series
        self.fields = fields
        self.layout_codes = layout_codes  # None: every row has layouts[0]
        self.layouts = layouts
        self.db = db
        self.rp = rp
        self._rows = rows
        self._names: frozenset[str] | None = None
        self._group_codes: tuple[np.ndarray, list[str]] | None = None
        self._tag_columns: dict[str, tuple[np.ndarray, list[str | None]]] = {}
        #: Results computed from this chunk that every reader may share (e.g. a predicate's
        #: verdicts, keyed by the expression), so tasks with the same condition compute it once.
        self.memo: dict[Any, Any] = {}

    # -- the sequence of points
    def __len__(self) -> int:
        return self.n

    def __bool__(self) -> bool:  # (LazyRows' asks `len`: a call more, on the hot path)
        return self.n != 0

    def __repr__(self) -> str:
        return f"ColumnChunk({self.n} rows, fields={list(self.fields)})"

    def rows(self) -> list[Point]:
        """The rows as `Point`s, built once."""
        rows = self._rows
        if rows is None:
            rows = self._rows = _build_rows(self)
        return rows

    def row(self, i: int) -> Point:
        """Row `i` alone (the built rows when there are, else just this one is built)."""
        if self._rows is not None:
            return self._rows[i]
        s = self.series
        code = int(self.series_codes[i])
        keys = self.layouts[0 if self.layout_codes is None else int(self.layout_codes[i])]
        fields = {k: self.fields[k].values[i : i + 1].tolist()[0] for k in keys}
        group = "" if s.groups is None else s.groups[code]
        dims = NO_DIMENSIONS if s.dims is None else s.dims[code]
        t = int(self.time[i])
        return Point(s.names[code], s.tags[code], fields, t, self.db, self.rp, group, dims)

    @property
    def has_rows(self) -> bool:
        return self._rows is not None

    # -- facts about the chunk
    def names(self) -> frozenset[str]:
        """The measurement names in the chunk."""
        if self._names is None:
            cache = self.series.cache
            every = cache.get("names")
            if every is None:
                every = cache["names"] = frozenset(self.series.names)
            if len(every) <= 1:
                self._names = every if self.n else frozenset()
            else:
                used = np.unique(self.series_codes).tolist()
                names = self.series.names
                self._names = frozenset(names[s] for s in used)
        return self._names

    @property
    def fresh(self) -> bool:
        """True when no row has a group or dimensions (points straight from a write)."""
        return self.series.groups is None and self.series.dims is None

    def name_mask(self, name: str) -> np.ndarray:
        """Rows whose measurement is `name`."""
        hits = [i for i, n in enumerate(self.series.names) if n == name]
        return np.isin(self.series_codes, hits)

    def group_codes(self) -> tuple[np.ndarray, list[str]]:
        """(per-row int codes, group ID per code): rows with equal group IDs share a code."""
        if self._group_codes is None:
            groups = self.series.groups
            if groups is None:
                self._group_codes = (np.zeros(self.n, dtype=np.int32), [""])
            else:
                index: dict[str, int] = {}
                per_series = np.array(
                    [index.setdefault(g, len(index)) for g in groups], dtype=np.int32
                )
                self._group_codes = (per_series[self.series_codes], list(index))
        return self._group_codes

    def single_group(self) -> str | None:
        """The group ID of every row when the rows are of one group (or none), else None."""
        if self.series.groups is None:
            return ""
        ids = self.group_codes()[1]
        return ids[0] if len(ids) == 1 else None

    def tag_column(self, key: str) -> tuple[np.ndarray, list[str | None]]:
        """(per-row codes, value table) of one tag; rows without the tag have the code of None.

        Computed once per chunk (every task that reads the chunk shares it)."""
        cached = self._tag_columns.get(key)
        if cached is not None:
            return cached
        cache = self.series.cache
        per_key = cache.get(("tag", key))
        if per_key is None:
            index: dict[str | None, int] = {}
            per_series = np.array(
                [index.setdefault(t.get(key), len(index)) for t in self.series.tags],
                dtype=np.int32,
            )
            per_key = cache[("tag", key)] = (per_series, list(index))
        cached = self._tag_columns[key] = (per_key[0][self.series_codes], per_key[1])
        return cached

    def tag_keys(self) -> frozenset[str]:
        """Every tag key some series of the chunk has (computed once per chunk)."""
        cache = self.series.cache
        keys = cache.get("tag_keys")
        if keys is None:
            keys = cache["tag_keys"] = frozenset(k for t in self.series.tags for k in t)
        return keys

    def is_tag(self, key: str) -> np.ndarray:
        """Rows that have tag `key`."""
        cache = self.series.cache
        per_series = cache.get(("is_tag", key))
        if per_series is None:
            per_series = np.array([key in t for t in self.series.tags], dtype=np.bool_)
            cache[("is_tag", key)] = per_series
        return per_series[self.series_codes]

    # -- derived chunks (sharing what did not change)
    def take(self, idx: np.ndarray) -> ColumnChunk:
        """The rows at `idx` (a bool mask or int indices), in order."""
        if idx.dtype == np.bool_:
            if idx.all():
                return self
            idx = np.flatnonzero(idx)
        rows = None
        if self._rows is not None:
            r = self._rows
            rows = [r[i] for i in idx.tolist()]
        return ColumnChunk(
            self.time[idx],
            self.series_codes[idx],
            self.series,
            {k: c.take(idx) for k, c in self.fields.items()},
            None if self.layout_codes is None else self.layout_codes[idx],
            self.layouts,
            self.db,
            self.rp,
            rows,
        )

    def derive(self, **changes: Any) -> ColumnChunk:
        """A copy with some parts replaced (`time`, `series`, `fields`, `layout_codes`,
        `layouts`); its rows are built anew."""
        parts = {
            "time": self.time,
            "series_codes": self.series_codes,
            "series": self.series,
            "fields": self.fields,
            "layout_codes": self.layout_codes,
            "layouts": self.layouts,
            "db": self.db,
            "rp": self.rp,
        }
        parts.update(changes)
        return ColumnChunk(**parts)


def _build_rows(c: ColumnChunk) -> list[Point]:
    n = c.n
    if n == 0:
        return []
    s = c.series
    codes = c.series_codes.tolist()
    times = c.time.tolist()
    names = [s.names[i] for i in codes]
    tags = [s.tags[i] for i in codes]
    fields = _row_fields(c)
    db, rp = c.db, c.rp
    if s.groups is None and s.dims is None:
        return [
            Point(nm, tg, f, t, db, rp)
            for nm, tg, f, t in zip(names, tags, fields, times, strict=True)
        ]
    groups = [""] * n if s.groups is None else [s.groups[i] for i in codes]
    dims = [NO_DIMENSIONS] * n if s.dims is None else [s.dims[i] for i in codes]
    return list(map(Point, names, tags, fields, times, [db] * n, [rp] * n, groups, dims))


def _row_fields(c: ColumnChunk) -> list[dict[str, Any]]:
    """One fields dict per row, keys in each row's own order."""
    values = {k: col.values.tolist() for k, col in c.fields.items()}
    if c.layout_codes is None:
        keys = c.layouts[0]
        if len(keys) == 1:
            [k] = keys
            return [{k: v} for v in values[k]]
        return [
            dict(zip(keys, vs, strict=True)) for vs in zip(*(values[k] for k in keys), strict=True)
        ]
    layouts = c.layouts
    out = []
    for i, lc in enumerate(c.layout_codes.tolist()):
        out.append({k: values[k][i] for k in layouts[lc]})
    return out


def from_points(points: list[Point], db: str = "", rp: str = "") -> ColumnChunk:
    """A chunk from built points (careful-path lines); the points become its rows as they are."""
    series_index: dict[tuple[str, tuple], int] = {}
    s_names: list[str] = []
    s_tags: list[dict[str, str]] = []
    scodes = []
    layouts: dict[tuple[str, ...], int] = {}
    lcodes = []
    for p in points:
        key = (p.name, tuple(p.tags.items()))
        code = series_index.get(key)
        if code is None:
            code = series_index[key] = len(s_names)
            s_names.append(p.name)
            s_tags.append(p.tags)
        scodes.append(code)
        lcodes.append(layouts.setdefault(tuple(p.fields), len(layouts)))
    n = len(points)
    fields: dict[str, Column] = {}
    keys = {k: None for layout in layouts for k in layout}
    for k in keys:
        vals = [p.fields.get(k) for p in points]
        if all(k in p.fields for p in points):
            fields[k] = column_from_values(vals)
        else:
            present = np.array([k in p.fields for p in points], dtype=np.bool_)
            fields[k] = column_from_values(vals, present)
    return ColumnChunk(
        np.array([p.time for p in points], dtype=np.int64),
        np.array(scodes, dtype=np.int32),
        Series(s_names, s_tags),
        fields,
        None if len(layouts) <= 1 else np.array(lcodes, dtype=np.int32),
        list(layouts) or [()],
        db,
        rp,
        rows=list(points) if n else [],
    )


def empty_chunk(db: str = "", rp: str = "") -> ColumnChunk:
    return ColumnChunk(
        np.zeros(0, dtype=np.int64),
        np.zeros(0, dtype=np.int32),
        Series([], []),
        {},
        None,
        [()],
        db,
        rp,
        rows=[],
    )
