"""The TaskMaster: starts and stops tasks in its nursery, routes writes, feeds batches, reports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import trio

from kapacitrio import gcpolicy
from kapacitrio.engine import snapshot
from kapacitrio.engine.clock import Clock
from kapacitrio.engine.context import LogSink, TaskContext
from kapacitrio.engine.router import ANY, Router, split_chunk
from kapacitrio.engine.slicedparse import parse_sliced, pieces, sliceable, until_idle
from kapacitrio.engine.task import Task, TaskStartError
from kapacitrio.models.lineprotocol import precision_multiplier
from kapacitrio.models.lpcolumns import parse_chunk
from kapacitrio.models.point import Batch
from kapacitrio.pipeline.spec import STREAM, Pipeline

__all__ = ["TaskMaster", "TaskStartError", "open_taskmaster"]

#: How long `stop_task` lets a task drain before cancelling it (seconds of Trio time).
STOP_DRAIN_SECONDS = 5.0
#: Bodies at least this large that cannot be parsed in slices (`engine.slicedparse`) are parsed
#: in a worker thread, so other requests are answered meanwhile.
THREAD_PARSE_BYTES = 256 * 1024
#: Large bodies parsed at once (the rest wait their turn).
PARSE_THREADS = 2
#: A large write reaches its tasks in pieces of this many rows, one scheduling round apart, so
#: no node handles a whole 10 MB body in one step.
DELIVER_ROWS = 8192


class TaskMaster:
    """Owns every running task. Start it with `nursery.start(tm.run)` or `open_taskmaster(...)`.

    `id` is `main` for the server's own; a replay runs its task in one named after the replay.
    """

    def __init__(
        self,
        clock: Clock,
        services: Any = None,
        log_sink: LogSink | None = None,
        id: str = "main",
    ) -> None:
        self.id = id
        self.clock = clock
        self.services = services
        self.log_sink = log_sink
        self.router = Router()
        self.tasks: dict[str, Task] = {}
        #: Points received per (db, rp, measurement), wanted by a task or not (`ingress` stats).
        self.ingress: dict[tuple[str, str, str], int] = {}
        self._nursery: trio.Nursery | None = None
        self._parse_limiter = trio.CapacityLimiter(PARSE_THREADS)

    async def run(
        self, task_status: trio.TaskStatus[TaskMaster] = trio.TASK_STATUS_IGNORED
    ) -> None:
        """Hold the nursery that tasks run in until cancelled; then every task stops."""
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            task_status.started(self)
            await trio.sleep_forever()

    # -- lifecycle
    async def start_task(
        self, task_id: str, pipeline: Pipeline, dbrps: list[tuple[str, str]] | None = None
    ) -> Task:
        """Start a task; raises `TaskStartError` (Kapacitor's text) if it cannot run."""
        if self._nursery is None:
            raise RuntimeError("TaskMaster is not running")
        if task_id in self.tasks:
            await self.stop_task(task_id)
        dbrps = list(dbrps if dbrps is not None else pipeline.dbrps)
        ctx = TaskContext(
            task_id, self.clock, self.services, self.log_sink, dbrps=dbrps, task_master=self.id
        )
        task = Task(task_id, pipeline, ctx)
        await self._nursery.start(task.run)
        self.tasks[task_id] = task
        if pipeline.type == STREAM:
            self.router.add(task, dbrps, _measurements(pipeline), task.prefilter)
        gcpolicy.task_started()
        return task

    async def stop_task(self, task_id: str, drain: bool = True) -> None:
        """Stop a task: close its inputs, let it drain (bounded), then cancel what is left."""
        task = self.tasks.pop(task_id, None)
        if task is None:
            return
        self.router.remove(task)
        if drain:
            task.close_inputs()
            with trio.move_on_after(STOP_DRAIN_SECONDS):
                await task.finished.wait()
        task.cancel()
        await task.finished.wait()
        gcpolicy.task_stopped()

    # -- data in
    async def write(self, db: str, rp: str, precision: str, body: bytes | str) -> int:
        """Route a line-protocol body; the whole body is checked before anything is routed.

        Returns the number of lines routed to at least one task. Raises `LineProtocolError`.
        """
        mult = precision_multiplier(precision)
        now = self.clock.now()
        default_time = now - now % mult
        by_meas, wild = self.router.table(db, rp)
        args = (body, mult, default_time, db, rp, lambda name: bool(by_meas.get(name, wild)))
        tally: dict[str, int] = {}
        if sliceable(body):  # on the event loop, a slice at a time: small writes go in between
            chunks = await parse_sliced(*args, tally, until_idle)
        elif len(body) < THREAD_PARSE_BYTES:
            chunks = [parse_chunk(*args, tally=tally)]
        else:  # the calling request's task waits for the thread: nothing outlives the request
            chunks = [
                await trio.to_thread.run_sync(
                    lambda: parse_chunk(*args, sliced=True, tally=tally),
                    limiter=self._parse_limiter,
                )
            ]
        self.count_ingress(db, rp, tally)
        routed = 0
        for i, piece in enumerate(pieces(chunks, DELIVER_ROWS, db, rp)):
            if i:
                await trio.lowlevel.checkpoint()
            parts, n = split_chunk(piece, by_meas, wild, self.router.conditions)
            routed += n
            for targets, part in parts:
                for task in targets:  # one chunk for all: a chunk is never changed once sent
                    await task.write_points(part)
        return routed

    def wants(self, task_id: str, db: str, rp: str, measurement: str) -> bool:
        """Whether a running stream task takes this measurement of this dbrp."""
        task = self.tasks.get(task_id)
        if task is None:
            return False
        by_meas, wild = self.router.table(db, rp)
        return task in by_meas.get(measurement, wild)

    async def write_task(self, task_id: str, chunk: Any) -> int:
        """Hand a parsed chunk to one task only (a cluster member's per-task feed); the caller
        checked `wants`. Returns the number of points handed over (0 when it is not running)."""
        task = self.tasks.get(task_id)
        if task is None or not chunk:
            return 0
        only = [task]  # every row is for this task; its router condition still applies
        cond = self.router.conditions.get(task)
        parts, _ = split_chunk(chunk, {}, only, {task: cond} if cond is not None else None)
        for _targets, part in parts:
            await task.write_points(part)
        return len(chunk)

    def stateful(self, task_id: str) -> bool:
        """Whether a running task has node state to snapshot (`engine.snapshot`)."""
        task = self.tasks.get(task_id)
        return task is not None and snapshot.stateful(task)

    async def snapshot_task(self, task_id: str, timeout: float) -> dict[str, Any] | None:
        """The task's node snapshots once it is idle (the caller holds its input back); None
        if it is not running or not idle within `timeout`."""
        task = self.tasks.get(task_id)
        return None if task is None else await snapshot.snapshot_task(task, timeout)

    def restore_task(self, task_id: str, nodes: dict[str, Any]) -> int:
        """Put node snapshots back into a task that has had no input yet."""
        task = self.tasks.get(task_id)
        return 0 if task is None else snapshot.restore_task(task, nodes)

    async def write_points(self, db: str, rp: str, points: list[Any]) -> None:
        """Route already-built points (replays, loopback)."""
        chunks: dict[Task, list[Any]] = {}
        by_meas, wild = self.router.table(db, rp)
        tally: dict[str, int] = {}
        for p in points:
            tally[p.name] = tally.get(p.name, 0) + 1
            for task in by_meas.get(p.name, wild):
                chunks.setdefault(task, []).append(p)
        self.count_ingress(db, rp, tally)
        for task, pts in chunks.items():
            await task.write_points(pts)

    def count_ingress(self, db: str, rp: str, tally: dict[str, int]) -> None:
        """Add points received per measurement of one db/rp to the `ingress` statistics."""
        ingress = self.ingress
        for name, n in tally.items():
            key = (db, rp, name)
            ingress[key] = ingress.get(key, 0) + n

    async def feed_batches(self, task_id: str, source_index: int, batches: list[Batch]) -> None:
        """Deliver recorded batches to the `source_index`-th batch source (query) of a task."""
        task = self.tasks[task_id]
        await feed_query(task, source_index, batches)

    # -- introspection
    def task_info(self, task_id: str) -> dict[str, Any] | None:
        """`executing`, `error`, per-node `stats` and `edges` of a running task."""
        task = self.tasks.get(task_id)
        if task is None:
            return None
        return {
            "executing": task.executing,
            "error": task.error,
            "stats": task.node_stats(),
            "edges": task.edge_stats(),
        }

    def http_out(self, task_id: str, endpoint: str) -> dict[str, Any] | None:
        """The current result of a task's httpOut endpoint, or None if there is no such endpoint."""
        task = self.tasks.get(task_id)
        if task is None:
            return None
        source = task.ctx.http_out.get(endpoint)
        return source.result() if source is not None else None


def batch_sources(task: Task) -> list[str]:
    """Names of the batch source nodes (`query`, `queryFlux`) in Kapacitor's pipeline order.

    That order is a depth-first topological sort from the sources (children in creation order,
    post-order, reversed): a query declared later can come first. Recordings are matched to
    sources in this order.
    """
    return [s.name for s in topological(task.pipeline) if s.kind in ("query", "queryFlux")]


def topological(pipeline: Pipeline) -> list[Any]:
    """Nodes in Kapacitor's sorted order (reverse post-order of a DFS from the sources)."""
    done: set[int] = set()
    order: list[Any] = []

    def visit(node: Any) -> None:
        if id(node) in done:
            return
        done.add(id(node))
        for child in node.children:
            visit(child)
        order.append(node)

    for source in pipeline.sources:
        visit(source)
    order.reverse()
    return order


async def feed_query(task: Task, source_index: int, batches: list[Batch]) -> None:
    """Send batches to one batch source node of a task."""
    names = batch_sources(task)
    if not 0 <= source_index < len(names):
        raise IndexError(f"task {task.id} has no batch source #{source_index}")
    await task.send(names[source_index], list(batches))


def _measurements(pipeline: Pipeline) -> set[str]:
    """The measurements the `from()` nodes under the stream root select (`""` if any takes all)."""
    out: set[str] = set()
    roots = {id(n) for n in pipeline.sources}
    froms = [
        n for n in pipeline.nodes if n.kind == "from" and any(id(p) in roots for p in n.parents)
    ]
    if not froms:
        return {ANY}
    for node in froms:
        out.add(str(node.props.get("measurement") or ANY))
    return out


@asynccontextmanager
async def open_taskmaster(
    clock: Clock, services: Any = None, log_sink: LogSink | None = None, id: str = "main"
) -> AsyncIterator[TaskMaster]:
    """A running TaskMaster for the duration of the block; tasks are cancelled at exit."""
    async with trio.open_nursery() as nursery:
        tm = await nursery.start(TaskMaster(clock, services, log_sink, id).run)
        try:
            yield tm
        finally:
            nursery.cancel_scope.cancel()
