"""Points, batches and their groups: the data that flows along a task's edges.

Times are integer nanoseconds since the Unix epoch, UTC. `tags` and `fields` dicts are shared
between messages: a node that changes them must copy first (`Point.copy_with`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FieldValue = int | float | str | bool


@dataclass(frozen=True, slots=True)
class Dimensions:
    """How messages are grouped: by measurement name and/or by a sorted list of tag names."""

    by_name: bool = False
    tag_names: tuple[str, ...] = ()

    def group_id(self, name: str, tags: dict[str, str]) -> str:
        """The group ID: `name\\n` when by_name, then `k=v` pairs of the dimensions joined by `,`."""
        if not self.by_name and not self.tag_names:
            return ""
        pairs = ",".join(f"{k}={tags.get(k, '')}" for k in self.tag_names)
        return f"{name}\n{pairs}" if self.by_name else pairs

    def group_tags(self, tags: dict[str, str]) -> dict[str, str]:
        """The subset of `tags` named by the dimensions (missing tags are left out)."""
        return {k: tags[k] for k in self.tag_names if k in tags}


NO_DIMENSIONS = Dimensions()


class Point:
    """One point on a stream edge."""

    __slots__ = ("name", "tags", "fields", "time", "db", "rp", "group", "dimensions")

    def __init__(
        self,
        name: str,
        tags: dict[str, str],
        fields: dict[str, FieldValue],
        time: int,
        db: str = "",
        rp: str = "",
        group: str = "",
        dimensions: Dimensions = NO_DIMENSIONS,
    ) -> None:
        self.name = name
        self.tags = tags
        self.fields = fields
        self.time = time
        self.db = db
        self.rp = rp
        self.group = group
        self.dimensions = dimensions

    def copy_with(self, **changes: Any) -> Point:
        """A shallow copy with some attributes replaced."""
        p = Point(
            self.name,
            self.tags,
            self.fields,
            self.time,
            self.db,
            self.rp,
            self.group,
            self.dimensions,
        )
        for key, value in changes.items():
            setattr(p, key, value)
        return p

    def __repr__(self) -> str:
        return f"Point({self.name!r}, {self.tags!r}, {self.fields!r}, {self.time})"


class BatchPoint:
    """One point inside a batch: its own time, fields and (full) tags."""

    __slots__ = ("time", "fields", "tags")

    def __init__(self, time: int, fields: dict[str, FieldValue], tags: dict[str, str]) -> None:
        self.time = time
        self.fields = fields
        self.tags = tags

    def __repr__(self) -> str:
        return f"BatchPoint({self.time}, {self.fields!r}, {self.tags!r})"


class Batch:
    """A whole batch on a batch edge: Kapacitor's BeginBatch, points and EndBatch in one message.

    `tags` are the group's tags; `tmax` is the batch time.
    """

    __slots__ = ("name", "tags", "tmax", "points", "group", "dimensions", "db", "rp")

    def __init__(
        self,
        name: str,
        tags: dict[str, str],
        tmax: int,
        points: list[BatchPoint],
        group: str = "",
        dimensions: Dimensions = NO_DIMENSIONS,
        db: str = "",
        rp: str = "",
    ) -> None:
        self.name = name
        self.tags = tags
        self.tmax = tmax
        self.points = points
        self.group = group
        self.dimensions = dimensions
        self.db = db
        self.rp = rp

    def copy_with(self, **changes: Any) -> Batch:
        """A shallow copy with some attributes replaced."""
        b = Batch(
            self.name,
            self.tags,
            self.tmax,
            self.points,
            self.group,
            self.dimensions,
            self.db,
            self.rp,
        )
        for key, value in changes.items():
            setattr(b, key, value)
        return b

    def __repr__(self) -> str:
        return f"Batch({self.name!r}, {self.tags!r}, tmax={self.tmax}, {len(self.points)} points)"


class Barrier:
    """A time marker for one group (or every group when `group` is None): no point of the group is
    older than `time` from now on."""

    __slots__ = ("group", "time")

    def __init__(self, group: str | None, time: int) -> None:
        self.group = group
        self.time = time


class DeleteGroup:
    """Tells downstream nodes to forget the state of one group."""

    __slots__ = ("group",)

    def __init__(self, group: str) -> None:
        self.group = group


Message = Point | Batch | Barrier | DeleteGroup
