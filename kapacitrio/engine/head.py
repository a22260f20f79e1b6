"""The inline head of a stream task: `stream |from()`, then any `where` and `alert` nodes in a
chain, run in the writer's coroutine.

These nodes handle a message synchronously and without timers, but as node coroutines each costs
a channel hop and a scheduling round per write and task: with 100 tasks on one measurement that
is most of the work. So a write runs them directly (same handlers, group limit, counters and
errors) and sends their output into the channel of the next node. All writes to a task take this
path, so the task's order is the writers' order; a blocked send waits in trio's FIFO of senders.
An inline node's own coroutine still runs its background work (an alert's handlers) and its end.
"""

from __future__ import annotations

from typing import Any

#: Node kinds that may run inline after the stream root (synchronous handlers, no timers).
INLINE_KINDS = ("from", "where", "alert")


def head_of(pipeline: Any, nodes: dict[str, Any]) -> list[Any] | None:
    """The task's inline head (`_Node`s from the root), or None when it has none."""
    if pipeline.type != "stream" or len(pipeline.sources) != 1:
        return None
    if any(n.kind == "stats" for n in pipeline.nodes):  # it watches emitted chunks
        return None
    spec = pipeline.sources[0]
    if spec.kind != "stream":
        return None
    head = [nodes[spec.name]]
    while len(spec.children) == 1:
        child = spec.children[0]
        if child.kind not in INLINE_KINDS or len(child.parents) != 1:
            break
        rt = nodes[child.name].rt
        if getattr(rt, "fed", False):
            break
        head.append(nodes[child.name])
        spec = child
    return head
