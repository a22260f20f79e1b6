"""The runtime contract of one pipeline node: synchronous message handlers around an async loop.

A node runtime handles one message at a time and calls `emit` for what it produces; the task
runner (`engine.task`) feeds it chunks from its input channels and sends everything emitted while
handling a chunk to every child as one chunk. Nodes that wait on time or I/O override `run_background`,
which the runner starts in the task's nursery.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kapacitrio.models.point import Barrier, Batch, DeleteGroup, Point

if TYPE_CHECKING:
    from kapacitrio.engine.context import TaskContext
    from kapacitrio.pipeline.spec import NodeSpec


class NodeError(Exception):
    """A node failed in a way that must stop its task; the message goes into the task's `error`."""


class NodeRuntime:
    """Base class of every node's runtime.

    Subclasses override `point` and/or `batch` (and `barrier`, `delete_group`, `finish` when they
    keep state). `parent` is the index of the input edge in `spec.parents`. Per-point evaluation
    errors are counted with `self.error(...)` and the message is dropped; raising `NodeError`
    stops the task.
    """

    #: Extra stats keys this node reports, with their initial value (e.g. {"eval_errors": 0}).
    extra_stats: dict[str, int] = {}
    #: Name of the attribute holding the node's per-group state, a dict keyed by group id; the
    #: runner enforces `[task] max-groups-per-node` on it. Empty: the node keeps no such state.
    group_table: str = ""

    def __init__(self, spec: NodeSpec, ctx: TaskContext) -> None:
        self.spec = spec
        self.ctx = ctx
        self.out: list[Any] = []
        self.stats: dict[str, int] = {"errors": 0, **self.extra_stats}
        self.quiet = bool(spec.props.get("quiet", False))

    # -- output
    def emit(self, msg: Point | Batch | Barrier | DeleteGroup) -> None:
        """Queue a message for every child; sent when the current chunk is done."""
        self.out.append(msg)

    def emit_chunk(self, chunk: Any) -> None:
        """Queue a whole chunk (e.g. a `ColumnChunk`) as the last act of a whole-chunk handler.

        With nothing queued yet the chunk itself is sent on (it is read-only); else its rows are.
        """
        if not chunk:
            return
        if self.out:
            self.out.extend(chunk)
        else:
            self.out = chunk

    def error(self, message: str, **kv: Any) -> None:
        """Count (in `errors`) and log an error the node diagnosed; the task goes on. Every
        error a node logs goes through here, as every diagnosed error counts in Kapacitor."""
        self.stats["errors"] += 1
        if not self.quiet:
            if kv:
                self.ctx.log_repeated("error", self.spec.name, message, **kv)
            else:
                self.ctx.log_error(self.spec.name, message)

    # -- handlers
    def point(self, p: Point, parent: int) -> None:
        raise NodeError(f"{self.spec.kind} node does not accept points")

    def batch(self, b: Batch, parent: int) -> None:
        raise NodeError(f"{self.spec.kind} node does not accept batches")

    def barrier(self, b: Barrier, parent: int) -> None:
        self.emit(b)

    def delete_group(self, d: DeleteGroup, parent: int) -> None:
        self.emit(d)

    def finish(self) -> None:
        """All inputs closed: emit anything held back (e.g. a last window or join row)."""

    async def run_background(self) -> None:
        """Long-running work (timers, I/O) in the task's nursery; the default does nothing."""

    async def flush(self) -> None:
        """Send what was emitted outside a handler (from `run_background`) to the children now."""
        if self._flusher is not None:
            await self._flusher()

    #: Set by the task runner; `flush` calls it.
    _flusher: Callable[[], Any] | None = None
    #: Called by the runner with every chunk this node emits (set by observers such as stats).
    watch_output: Callable[[list[Any]], None] | None = None

    def cardinality(self) -> int:
        """Number of groups this node holds state for (`working_cardinality`)."""
        return 0

    # -- state handover (`engine.snapshot`): a node with state to move overrides both
    def snapshot(self) -> Any:
        """JSON-ready state of this node, taken while the task is idle; None: nothing to keep.
        A copy: it is encoded later, while the node goes on (never the node's own dicts)."""
        return None

    def restore(self, data: Any) -> None:
        """Take back what `snapshot` returned, before any message arrives (a moved task).
        All or nothing: on a shape it does not know it raises (ValueError, TypeError, ...)
        with its state unchanged."""

    def keeps_state(self) -> bool:
        """Whether this node has state to snapshot (e.g. a `where` only with a stateful lambda)."""
        return type(self).snapshot is not NodeRuntime.snapshot or self.snapshot_async_kind()

    def snapshot_async_kind(self) -> bool:
        return type(self).snapshot_async is not NodeRuntime.snapshot_async

    async def snapshot_async(self) -> Any:
        """For state held outside the process (a UDF agent): asked before `snapshot` of the
        other nodes, once the task is idle; what it returns goes to `restore` like `snapshot`'s."""
        return None

    def busy(self) -> bool:
        """Work taken in but not finished (a forecast, a request on the wire): the task is not
        idle, so no snapshot is taken until it is done."""
        return False


NODE_TYPES: dict[str, type[NodeRuntime]] = {}


def register(*kinds: str) -> Callable[[type[NodeRuntime]], type[NodeRuntime]]:
    """Class decorator: this runtime implements the given TICKscript node kinds."""

    def deco(cls: type[NodeRuntime]) -> type[NodeRuntime]:
        for kind in kinds:
            NODE_TYPES[kind] = cls
        return cls

    return deco
