"""Node state snapshots of a running task, taken when the task is idle, and restored into a new run.

A node runtime takes part by overriding `snapshot()` (JSON-ready data, or None for nothing) and
`restore(data)`; state held outside the process (a UDF agent's) by `snapshot_async()`, and work
in flight (a forecast, an HTTP request) keeps the task from being idle through `busy()`. A snapshot is only meaningful at a point of the input stream: `snapshot_task`
takes it once the task is quiescent, i.e. every node's input channel is empty and its loop is
waiting for more, so every message written to the task so far has been handled by every node and
nothing is half-way. The caller must keep new input out while it waits (the cluster feed holds its
write lock), so the snapshot matches exactly what was written up to then.
"""

from __future__ import annotations

from typing import Any

import trio

#: How often the quiescence of a task is checked while waiting for it.
POLL = 0.005
#: The shape of the node snapshots written; the ones read (1: before UDF, join and lambda state
#: were kept, a subset). One of another shape is left out (the node starts empty).
FORMAT = 2
READABLE = (1, 2)


def stateful(task: Any) -> bool:
    """Whether any node of the task has state to snapshot."""
    return any(n.rt.keeps_state() for n in task.nodes.values())


def quiescent(task: Any) -> bool:
    """Every node idle: nothing buffered on its input, nothing emitted unsent, its loop waiting,
    no work of its own in flight."""
    for node in task.nodes.values():
        st = node.recv.statistics()
        if st.current_buffer_used or not st.tasks_waiting_receive or node.rt.out:
            return False
        if node.rt.busy():
            return False
    return True


def _item(node: Any, data: Any) -> dict[str, Any]:
    return {"kind": node.spec.kind, "v": FORMAT, "state": data}


def take(task: Any) -> dict[str, Any]:
    """The snapshots of the task's nodes by node name, with each node's kind (synchronous)."""
    out: dict[str, Any] = {}
    for name, node in task.nodes.items():
        data = node.rt.snapshot()
        if data is not None:
            out[name] = _item(node, data)
    return out


async def _idle(task: Any) -> bool:
    while not quiescent(task):
        if not task.executing or task.error:
            return False
        await trio.sleep(POLL)
    return True


async def snapshot_task(task: Any, timeout: float) -> dict[str, Any] | None:
    """The node snapshots once the task is quiescent; None if it is not within `timeout`.
    Nodes with state outside the process are asked first; what they emitted while answering
    goes through the task before the other nodes are taken."""
    with trio.move_on_after(timeout):
        if not await _idle(task):
            return None
        outside: dict[str, Any] = {}
        for name, node in task.nodes.items():
            if node.rt.snapshot_async_kind():
                data = await node.rt.snapshot_async()
                if data is not None:
                    outside[name] = _item(node, data)
        if outside and not await _idle(task):
            return None
        return {**take(task), **outside}
    return None


def restore_task(task: Any, nodes: Any) -> int:
    """Give each node of the task its snapshot (same name, kind and format only); returns how
    many took one. A node whose snapshot does not fit (the task was redefined, an older format,
    a damaged checkpoint) starts empty, with a warning; the task runs on either way."""
    if not isinstance(nodes, dict):
        if nodes:
            task.ctx.log("warn", "", "node state snapshots unreadable; starting empty")
        return 0
    n = 0
    for name, item in nodes.items():
        node = task.nodes.get(name)
        if node is None or not isinstance(item, dict) or node.spec.kind != item.get("kind"):
            continue
        if item.get("v", 1) not in READABLE:
            task.ctx.log("warn", name, "node state snapshot of another format; starting empty")
            continue
        try:
            node.rt.restore(item.get("state"))
            n += 1
        except Exception as exc:  # noqa: BLE001 - any damage to a snapshot must not stop the task
            task.ctx.log(
                "warn", name, "node state snapshot does not fit; starting empty", err=repr(exc)
            )
    return n
