"""Flux results: InfluxDB 2's annotated CSV read into series, shaped as Kapacitor reads them.

Each table becomes one series: its name is the table's `_measurement`, its tags are the group-key
columns other than `_measurement`, `_start` and `_stop` (so `_field` is a tag of unpivoted data), its
columns are the other columns with `_time` renamed `time`. Values take the column's `#datatype`
(`double`, `long`, `unsignedLong`, `boolean`, `string`, `dateTime:*`); an empty cell takes the
column's `#default`, and is left out when that is empty too. An error table is a `FluxError`.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from kapacitrio.models.timefmt import parse_rfc3339

#: Columns before the data: the annotation column, `result` and `table`.
SKIP = 3
_NOT_TAGS = ("_measurement", "_start", "_stop")


class FluxError(ValueError):
    """The query failed (an error table) or its CSV could not be read."""


def _convert(dtype: str, text: str, column: str) -> Any:
    try:
        if dtype == "double":
            return float(text)
        if dtype in ("long", "unsignedLong"):
            return int(text)
        if dtype == "boolean":
            return text != "false"
        if dtype.startswith("dateTime") and column == "time":
            return parse_rfc3339(text)
    except ValueError:
        raise FluxError(f"{text} is not a valid {dtype} (column {column})") from None
    return text


class _Block:
    """The annotations and header shared by the tables that follow them."""

    def __init__(self, types: list[str], groups: list[bool], defaults: list[str]) -> None:
        self.types = types
        self.groups = groups
        self.defaults = defaults
        self.names: list[str] = []

    def start(self, header: list[str]) -> None:
        self.names = ["time" if n == "_time" else n for n in header]
        n = len(self.names)
        self.types = (self.types + ["string"] * n)[:n]
        self.groups = (self.groups + [False] * n)[:n]
        self.defaults = (self.defaults + [""] * n)[:n]
        self.fields = [
            i for i, c in enumerate(self.names) if not self.groups[i] and c not in _NOT_TAGS
        ]
        self.tags = [i for i, c in enumerate(self.names) if self.groups[i] and c not in _NOT_TAGS]

    def cell(self, row: list[str], i: int) -> Any:
        text = row[i] if i < len(row) else ""
        if text == "":
            text = self.defaults[i]
            if text == "":
                return None
        return _convert(self.types[i], text, self.names[i])

    def series(self, row: list[str]) -> dict[str, Any]:
        name = ""
        if "_measurement" in self.names:
            name = str(self.cell(row, self.names.index("_measurement")) or "")
        tags = {}
        for i in self.tags:
            value = self.cell(row, i)
            if value is not None:
                tags[self.names[i]] = (
                    str(value) if not isinstance(value, bool) else str(value).lower()
                )
        return {
            "name": name,
            "tags": tags,
            "columns": [self.names[i] for i in self.fields],
            "values": [],
        }

    def values(self, row: list[str]) -> list[Any]:
        return [self.cell(row, i) for i in self.fields]


def parse_annotated_csv(text: str) -> list[dict[str, Any]]:
    """Every table of a Flux CSV response as a series dict; raises `FluxError`."""
    out: list[dict[str, Any]] = []
    types: list[str] = []
    groups: list[bool] = []
    defaults: list[str] = []
    block: _Block | None = None
    error_table = False
    table: str | None = None
    current: dict[str, Any] | None = None
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise FluxError(f"invalid CSV: {exc}") from None
    for row in rows:
        if not row or all(c == "" for c in row):
            block = None  # a blank line ends a block of tables
            continue
        first = row[0]
        if first == "#datatype":
            types, block = row[SKIP:], None
            continue
        if first == "#group":
            groups, block = [c == "true" for c in row[SKIP:]], None
            continue
        if first == "#default":
            defaults, block = row[SKIP:], None
            continue
        if first.startswith("#"):
            continue
        if block is None:  # the header row of a block
            if len(row) > 2 and row[1] == "error":
                error_table = True
                block = _Block([], [], [])
                continue
            if len(row) < SKIP:
                raise FluxError("unexpectedly few columns")
            block = _Block(types, groups, defaults)
            block.start(row[SKIP:])
            table = None
            continue
        if error_table:
            raise FluxError(f"flux query error: {row[1] if len(row) > 1 else ''}")
        data = row[SKIP:]
        if row[2] != table or current is None:
            table = row[2]
            current = block.series(data)
            out.append(current)
        current["values"].append(block.values(data))
    return out
