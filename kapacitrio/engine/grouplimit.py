"""The limit on groups per node (`[task] max-groups-per-node`): new groups past it are refused.

Every new series can open a group in each stateful node, and a group's state stays until the
group is deleted, so without a bound a stream of unique tag values grows memory without end. The
runner asks `admitted` before a node handles a chunk that could take its group table past the
limit; points and batches of new groups beyond it are dropped, counted in the node's `errors`
and logged (rate-limited).
"""

from __future__ import annotations

from typing import Any

from kapacitrio.models.point import Batch, Point


def max_groups(services: Any) -> int:
    """The configured limit (0: none); no config (tests, the case runner) means no limit."""
    config = getattr(services, "config", None) if services is not None else None
    try:
        return int(config.get("task").max_groups_per_node) if config is not None else 0
    except (AttributeError, KeyError, TypeError, ValueError):
        return 0


def group_table(rt: Any, limit: int) -> dict[str, Any] | None:
    """The node's group table when the limit applies to it, else None."""
    if not limit or not rt.group_table:
        return None
    table = getattr(rt, rt.group_table, None)
    return table if isinstance(table, dict) else None


def admitted(rt: Any, chunk: Any, limit: int) -> list[Any] | None:
    """The chunk's messages without those opening a group past the limit; None: all admitted
    (also when the limit does not apply to the node)."""
    table = group_table(rt, limit)
    if table is None or len(table) + len(chunk) <= limit:
        return None
    out: list[Any] = []
    new: set[str] = set()
    dropped = 0
    for msg in chunk:
        kind = type(msg)
        if kind is Point or kind is Batch:
            g = msg.group
            if g not in table and g not in new:
                if len(table) + len(new) >= limit:
                    dropped += 1
                    continue
                new.add(g)
        out.append(msg)
    if dropped:
        rt.stats["errors"] += dropped
        rt.ctx.log_repeated(
            "error",
            rt.spec.name,
            "group limit reached, points of new groups dropped",
            limit=str(limit),
            dropped=str(dropped),
        )
    return out
