"""Helpers shared by node runtimes: dimensions from groupBy lists and fast group IDs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kapacitrio.models.point import Dimensions
from kapacitrio.pipeline.spec import STAR


def dims_from(items: list[Any], by_name: bool, exclude: list[str] | None = None) -> Any:
    """`Dimensions` for a list of tag names, or a callable tags -> Dimensions when it holds `*`."""
    names = [d for d in items if isinstance(d, str)]
    if any(d is STAR for d in items):
        excluded = frozenset(exclude or ())
        cache: dict[tuple[str, ...], Dimensions] = {}

        def star(tags: dict[str, str]) -> Dimensions:
            key = tuple(sorted(t for t in tags if t not in excluded))
            d = cache.get(key)
            if d is None:
                d = cache[key] = Dimensions(by_name, key)
            return d

        return star
    return Dimensions(by_name, tuple(sorted(set(names))))


def group_id_fn(d: Dimensions) -> Callable[[str, dict[str, str]], str]:
    """A fast equivalent of `d.group_id` for a fixed set of dimensions."""
    names = d.tag_names
    if not names:
        if d.by_name:
            return lambda name, tags: name + "\n"
        return lambda name, tags: ""
    if len(names) == 1:
        key = names[0]
        prefix = key + "="
        if d.by_name:
            return lambda name, tags: f"{name}\n{prefix}{tags.get(key, '')}"
        return lambda name, tags: prefix + tags.get(key, "")
    pairs = [(k + "=", k) for k in names]
    if d.by_name:
        return lambda name, tags: name + "\n" + ",".join([p + tags.get(k, "") for p, k in pairs])
    return lambda name, tags: ",".join([p + tags.get(k, "") for p, k in pairs])
