"""A chunk of fresh points from one write, shared read-only by every task the write reaches.

Fresh points come straight from line protocol: no group and no dimensions. Facts about the whole
chunk (which measurements it holds) are computed once, by the first task that asks, and reused by
every other task that receives the same chunk.
"""

from __future__ import annotations

from operator import attrgetter

_NAME = attrgetter("name")


class PointChunk(list):
    """A list of fresh `Point`s; nobody changes it once it has been sent."""

    __slots__ = ("_names",)

    def names(self) -> frozenset[str]:
        """The measurement names in the chunk."""
        try:
            return self._names
        except AttributeError:
            self._names: frozenset[str] = frozenset(map(_NAME, self))
            return self._names
