"""Batch points held as columns (a window's buffer slice), built into `BatchPoint`s on first read."""

from __future__ import annotations

import numpy as np

from kapacitrio.models.lazyrows import LazyRows
from kapacitrio.models.point import BatchPoint


class ColumnPoints(LazyRows):
    """The points of one batch: `time` (int64), `fields` ({key: array}, every row has every key,
    in `keys` order), `tag_codes` (int32) into `tag_table` (full tags dicts). Read-only."""

    __slots__ = ("time", "fields", "keys", "tag_codes", "tag_table", "_rows")

    def __init__(
        self,
        time: np.ndarray,
        fields: dict[str, np.ndarray],
        keys: tuple[str, ...],
        tag_codes: np.ndarray,
        tag_table: list[dict[str, str]],
    ) -> None:
        self.time = time
        self.fields = fields
        self.keys = keys
        self.tag_codes = tag_codes
        self.tag_table = tag_table
        self._rows: list[BatchPoint] | None = None

    def __len__(self) -> int:
        return len(self.time)

    def __repr__(self) -> str:
        return f"ColumnPoints({len(self)} rows, keys={self.keys})"

    def rows(self) -> list[BatchPoint]:
        if self._rows is None:
            table = self.tag_table
            tags = [table[c] for c in self.tag_codes.tolist()]
            keys = self.keys
            cols = [self.fields[k].tolist() for k in keys]
            if len(keys) == 1:
                [k] = keys
                fields = [{k: v} for v in cols[0]]
            else:
                fields = [dict(zip(keys, vs, strict=True)) for vs in zip(*cols, strict=True)]
            self._rows = list(map(BatchPoint, self.time.tolist(), fields, tags))
        return self._rows

    def values(self, key: str) -> np.ndarray | None:
        """One field's values, or None when the points do not all have it."""
        return self.fields.get(key)
