"""Node state snapshots of a running task, taken when the task is idle, and restored into a new run.

A node runtime takes part by overriding `snapshot()` (JSON-ready data, or None for nothing) and
`restore(data)`. A snapshot is only meaningful at a point of the input stream: `snapshot_task`
takes it once the task is quiescent, i.e. every node's input channel is empty and its loop is
waiting for more, so every message written to the task so far has been handled by every node and
nothing is half-way. The caller must keep new input out while it waits (the cluster feed holds its
write lock), so the snapshot matches exactly what was written up to then.
"""

from __future__ import annotations

from typing import Any

import trio

from kapacitrio.engine.node import NodeRuntime

#: How often the quiescence of a task is checked while waiting for it.
POLL = 0.005


def stateful(task: Any) -> bool:
    """Whether any node of the task has state to snapshot."""
    return any(type(n.rt).snapshot is not NodeRuntime.snapshot for n in task.nodes.values())


def quiescent(task: Any) -> bool:
    """Every node idle: nothing buffered on its input, nothing emitted unsent, its loop waiting."""
    for node in task.nodes.values():
        st = node.recv.statistics()
        if st.current_buffer_used or not st.tasks_waiting_receive or node.rt.out:
            return False
    return True


def take(task: Any) -> dict[str, Any]:
    """The snapshots of the task's nodes by node name, with each node's kind (synchronous)."""
    out: dict[str, Any] = {}
    for name, node in task.nodes.items():
        data = node.rt.snapshot()
        if data is not None:
            out[name] = {"kind": node.spec.kind, "state": data}
    return out


async def snapshot_task(task: Any, timeout: float) -> dict[str, Any] | None:
    """The node snapshots once the task is quiescent; None if it is not within `timeout`."""
    with trio.move_on_after(timeout):
        while not quiescent(task):
            if not task.executing or task.error:
                return None
            await trio.sleep(POLL)
        return take(task)
    return None


def restore_task(task: Any, nodes: dict[str, Any]) -> int:
    """Give each node of the task its snapshot (same name and kind only); returns how many took
    one. A node whose snapshot no longer fits (the task was redefined) starts empty."""
    n = 0
    for name, item in (nodes or {}).items():
        node = task.nodes.get(name)
        if node is None or node.spec.kind != item.get("kind"):
            continue
        try:
            node.rt.restore(item.get("state"))
            n += 1
        except (KeyError, TypeError, ValueError, IndexError):
            task.ctx.log("warn", name, "node state snapshot does not fit; starting empty")
    return n
