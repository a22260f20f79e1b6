"""A read-only sequence held as columns whose rows (points or batches) are built on first read."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any


class LazyRows(Sequence):
    """Reads as the list `rows()` builds once; subclasses give `__len__` and `rows`."""

    __slots__ = ()

    def rows(self) -> list[Any]:
        raise NotImplementedError

    def __bool__(self) -> bool:
        return len(self) > 0

    def __iter__(self) -> Iterator[Any]:
        return iter(self.rows())

    def __getitem__(self, i: Any) -> Any:
        return self.rows()[i]
