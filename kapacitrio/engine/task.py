"""One running task: a Trio nursery with one coroutine per node, joined by bounded chunk channels."""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

import trio

from kapacitrio.engine.context import TaskContext
from kapacitrio.engine.grouplimit import admitted
from kapacitrio.engine.head import head_of
from kapacitrio.engine.node import NODE_TYPES, NodeError, NodeRuntime
from kapacitrio.engine.prefilter import prefilter_of
from kapacitrio.models.columns import ColumnChunk
from kapacitrio.models.point import Barrier, Batch, DeleteGroup, Point
from kapacitrio.pipeline.spec import NodeSpec, Pipeline
from kapacitrio.tick.errors import EvalError, TickError

#: Chunks buffered per node input before a sender waits (backpressure).
CHANNEL_CHUNKS = 64

#: Scheduling rounds a node with several parents waits for sibling chunks before merging them.
MERGE_ROUNDS = 4

#: A large chunk is handled in slices of this many messages; between slices a node that has
#: worked longer than `YIELD_NS` lets the others run (and a cancellation reach it).
SLICE = 64
YIELD_NS = 2_000_000

Chunk = list[Any]
Envelope = tuple[int, Chunk]


class TaskStartError(Exception):
    """A task cannot start; the text is Kapacitor's."""


class _Node:
    """A node runtime with its channels and counters."""

    __slots__ = (
        "spec",
        "rt",
        "send",
        "recv",
        "children",
        "collected",
        "emitted",
        "exec_ns",
    )

    def __init__(self, spec: NodeSpec, rt: NodeRuntime) -> None:
        self.spec = spec
        self.rt = rt
        self.send, self.recv = trio.open_memory_channel[Envelope](CHANNEL_CHUNKS)
        # (child node, parent index in the child, send channel clone)
        self.children: list[tuple[_Node, int, trio.MemorySendChannel[Envelope]]] = []
        self.collected = 0
        self.emitted = 0
        self.exec_ns = 0


def build_runtime(spec: NodeSpec, ctx: TaskContext) -> NodeRuntime:
    """Instantiate the runtime registered for a spec's kind; unknown kinds cannot start."""
    import kapacitrio.engine.nodes  # noqa: F401  (registers every node runtime)

    is_udf = isinstance(spec.props.get("udf"), str)  # `@name()`: the kind is the UDF's name
    cls = NODE_TYPES.get("udf" if is_udf else spec.kind)
    if cls is None:
        raise TaskStartError(f"unsupported node type {spec.kind!r}")
    try:
        return cls(spec, ctx)
    except (NodeError, TickError, ValueError) as exc:
        raise TaskStartError(str(exc)) from exc
    except Exception as exc:  # a runtime that cannot be built must not take the server down
        raise TaskStartError(f"{spec.name}: {type(exc).__name__}: {exc}") from exc


class Task:
    """The runtime of one task; `run` owns its nursery, `close_inputs` makes it drain and end."""

    def __init__(self, task_id: str, pipeline: Pipeline, ctx: TaskContext) -> None:
        self.id = task_id
        self.pipeline = pipeline
        self.ctx = ctx
        self.error = ""
        self.executing = False
        self.finished = trio.Event()
        self._cancel = trio.CancelScope()
        self.nodes: dict[str, _Node] = {}
        for spec in pipeline.nodes:
            self.nodes[spec.name] = _Node(spec, build_runtime(spec, ctx))
        for node in self.nodes.values():
            if hasattr(node.rt, "attach_runtimes"):  # nodes that observe others (stats)
                node.rt.attach_runtimes({n: o.rt for n, o in self.nodes.items()})
        for node in self.nodes.values():
            for child in node.spec.children:
                cnode = self.nodes[child.name]
                idx = next(i for i, p in enumerate(child.parents) if p is node.spec)
                node.children.append((cnode, idx, cnode.send.clone()))
        #: The first nodes, run by the writer (`engine.head`); None: every node in its loop.
        self.head = head_of(pipeline, self.nodes)
        self._inline = self.head[1:] if self.head is not None else []
        self._closed = False
        #: The condition the router applies for this task (`engine.prefilter`), if any.
        self.prefilter = prefilter_of(pipeline, {n: o.rt for n, o in self.nodes.items()})
        #: Chunks the router settled by that condition start after the nodes it stands for.
        skip = self.prefilter.bypass(self.head) if self.prefilter and self.head else 0
        self._settled_key = self.prefilter.expr.key if skip else None
        self._bypassed = self.head[1:skip] if skip else []
        self._after_bypass = self.head[skip:] if skip else []
        # Each node's original send end: kept open only for sources and nodes that take a feed
        # (`fed = True`, e.g. batch queries replaying recorded batches); their parent index is -1.
        self._feeds: dict[str, trio.MemorySendChannel[Envelope]] = {}
        for node in self.nodes.values():
            if node.spec.parents and not getattr(node.rt, "fed", False):
                node.send.close()
            else:
                self._feeds[node.spec.name] = node.send

    # -- feeding
    @property
    def sources(self) -> list[NodeSpec]:
        return self.pipeline.sources

    async def send(self, node_name: str, chunk: Chunk) -> None:
        """Deliver a chunk to a source node, or to a node that takes a feed (batch queries)."""
        feed = self._feeds.get(node_name)
        if feed is None:
            raise KeyError(f"node {node_name} takes no external input")
        item = (-1 if self.nodes[node_name].spec.parents else 0, chunk)
        try:
            try:  # without a scheduling round per task while there is room (many tasks)
                feed.send_nowait(item)
            except trio.WouldBlock:
                await feed.send(item)
        except (trio.ClosedResourceError, trio.BrokenResourceError):
            pass

    async def write_points(self, points: Chunk) -> None:
        """Deliver a chunk of points to the task's stream root (through the inline head)."""
        if self.head is None:
            await self.send(self.pipeline.sources[0].name, points)
            return
        if self._closed or self.error or not self.executing:
            return
        root = self.head[0]
        k = len(points)
        if not k:
            return
        root.collected += k
        root.emitted += k
        inline = self._inline
        if self._settled_key is not None and self._settled_key == _settled(points):
            for node in self._bypassed:  # each would pass every row on as it is
                node.collected += k
                node.emitted += k
            inline = self._after_bypass
        perf = time.perf_counter_ns
        limit = self.ctx.max_groups
        chunk: Any = points
        for node in inline:
            rt = node.rt
            t0 = perf()
            try:
                n = _handle_inline(rt, chunk, limit)
            except NodeError as exc:
                self.fail(node, str(exc))
                return
            except Exception as exc:
                self.fail(node, f"{type(exc).__name__}: {exc}")
                return
            node.exec_ns += perf() - t0
            node.collected += n
            chunk, rt.out = rt.out, []
            k = len(chunk)
            if not k:
                return
            node.emitted += k
        last = self.head[-1]
        lockstep = len(last.children) > 1
        for _, idx, ch in last.children:
            item = (idx, chunk)
            try:
                if lockstep:  # as a node's flush: each branch may take it before the next
                    await ch.send(item)
                    continue
                try:  # one branch: without a scheduling round per task while there is room
                    ch.send_nowait(item)
                except trio.WouldBlock:
                    await ch.send(item)
            except (trio.ClosedResourceError, trio.BrokenResourceError):
                pass

    def close_inputs(self) -> None:
        """Close every source input: nodes finish in order and the task ends."""
        self._closed = True
        for feed in self._feeds.values():
            feed.close()

    def cancel(self) -> None:
        """Stop at once without draining."""
        self._cancel.cancel()

    # -- running
    async def run(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Run every node until the inputs close, a node fails or the task is cancelled."""
        self.executing = True
        try:
            with self._cancel:
                async with trio.open_nursery() as nursery:
                    for node in self.nodes.values():
                        nursery.start_soon(self._node_main, node)
                    task_status.started()
        finally:
            self.executing = False
            self.ctx.flush_log_summaries()
            for node in self.nodes.values():
                for _, _, ch in node.children:
                    ch.close()
            self.close_inputs()
            self.finished.set()

    def fail(self, node: _Node, message: str) -> None:
        """Record a node failure and stop the whole task."""
        if not self.error:
            self.error = f"{node.spec.name}: {message}"
            self.ctx.log("error", node.spec.name, "node failed", error=message)
        self._cancel.cancel()

    async def _node_main(self, node: _Node) -> None:
        rt = node.rt

        async def flusher() -> None:
            await self._flush(node)

        rt._flusher = flusher
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._guard, node, rt.run_background)
                ok = await self._guard(node, self._loop, node)
                drain = getattr(rt, "drain", None)  # a node finishing async work (UDF agents)
                if ok and drain is not None:
                    ok = await self._guard(node, drain)
                nursery.cancel_scope.cancel()
            if ok:
                await self._guard(node, self._finish, node)
        finally:
            for _, _, ch in node.children:
                ch.close()

    async def _finish(self, node: _Node) -> None:
        node.rt.finish()
        await self._flush(node)

    async def _guard(self, node: _Node, fn: Any, *args: Any) -> bool:
        """Run one part of a node; a failure stops the task (never the server)."""
        try:
            await fn(*args)
            return True
        except NodeError as exc:
            self.fail(node, str(exc))
        except Exception as exc:
            self.fail(node, f"{type(exc).__name__}: {exc}")
        return False

    async def _loop(self, node: _Node) -> None:
        rt = node.rt
        perf = time.perf_counter_ns
        merge = len(node.spec.parents) > 1
        forward_all = getattr(rt, "forward_all", False)
        point_chunk = getattr(rt, "point_chunk", None)  # optional whole-chunk handler
        merged_chunks = getattr(rt, "merged_chunks", None)
        wait_ready = getattr(rt, "wait_ready", None)  # optional backpressure (UDF agents)
        limit = self.ctx.max_groups
        async with node.recv:
            async for parent, chunk in node.recv:
                if forward_all:
                    node.collected += len(chunk)
                    if rt.out:
                        rt.out.extend(chunk)
                    else:  # pass the chunk itself on (chunks are read-only once sent)
                        rt.out = chunk
                    await self._flush(node)
                    continue
                if merge:
                    envelopes = await _gathered(parent, chunk, node.recv)
                    runs = _disjoint_runs(envelopes) if merged_chunks is not None else None
                    if runs is None:
                        n = await _sliced(node, _merge(envelopes), _dispatch_pairs(rt))
                    else:  # a whole-merge handler (join), one run of sibling chunks at a time
                        n = 0
                        for run in runs:
                            t0 = perf()
                            k = merged_chunks(run)
                            node.exec_ns += perf() - t0
                            if k < 0:
                                k = await _sliced(node, _merge(run), _dispatch_pairs(rt))
                            n += k
                            node.collected += k
                            if rt.out:
                                await self._flush(node)
                        node.collected -= n
                else:
                    kept = admitted(rt, chunk, limit)
                    t0 = perf()
                    if kept is not None:  # near the group limit: what is left, one at a time
                        chunk, n = kept, -1
                    else:
                        n = -1 if point_chunk is None else point_chunk(chunk, parent)
                    node.exec_ns += perf() - t0
                    if n < 0:  # the runtime handed the chunk back: one message at a time
                        n = await _sliced(node, chunk, partial(_dispatch, rt, parent))
                node.collected += n
                if rt.out:
                    await self._flush(node)
                if wait_ready is not None:
                    await wait_ready()

    async def _flush(self, node: _Node) -> None:
        out = node.rt.out
        if not out:
            return
        node.rt.out = []
        node.emitted += len(out)
        if node.rt.watch_output is not None:  # per-group counts for stats nodes
            node.rt.watch_output(out)
        for _, idx, ch in node.children:
            try:
                await ch.send((idx, out))
            except (trio.ClosedResourceError, trio.BrokenResourceError):
                pass

    # -- introspection
    def node_stats(self) -> dict[str, dict[str, Any]]:
        """Per-node stats as the API and DOT show them."""
        stats: dict[str, dict[str, Any]] = {}
        for name, node in self.nodes.items():
            rt = node.rt
            avg = node.exec_ns // node.collected if node.collected else 0
            stats[name] = {
                **rt.stats,
                "avg_exec_time_ns": avg,
                "collected": node.collected,
                "emitted": node.emitted,
                "working_cardinality": rt.cardinality(),
            }
        if self.prefilter is not None:
            self.prefilter.adjust(stats)
        return stats

    def edge_stats(self) -> dict[tuple[str, str], int]:
        """Messages sent along each edge, keyed by (parent name, child name): what the parent
        emitted, as every child gets all of it."""
        out: dict[tuple[str, str], int] = {}
        for name, node in self.nodes.items():
            for child, _, _ in node.children:
                out[(name, child.spec.name)] = node.emitted
        if self.prefilter is not None:
            self.prefilter.adjust_edges(out)
        return out

    def runtime(self, name: str) -> NodeRuntime:
        return self.nodes[name].rt

    def runtimes(self, kind: str) -> Iterable[NodeRuntime]:
        return (n.rt for n in self.nodes.values() if n.spec.kind == kind)


def _settled(chunk: Any) -> Any:
    """The condition the router settled for every row of a chunk (`engine.router`), if any."""
    return chunk.memo.get("settled") if type(chunk) is ColumnChunk else None


def _handle_inline(rt: NodeRuntime, chunk: Chunk, limit: int) -> int:
    """One chunk through a node of the inline head, as its loop would handle it (group limit,
    then the whole-chunk handler, else one message at a time); returns the count handled."""
    kept = admitted(rt, chunk, limit) if limit else None
    if kept is not None:  # near the group limit: what is left, one at a time
        return _dispatch(rt, 0, kept)
    point_chunk = getattr(rt, "point_chunk", None)
    n = -1 if point_chunk is None else point_chunk(chunk, 0)
    return n if n >= 0 else _dispatch(rt, 0, chunk)


async def _sliced(node: _Node, items: list[Any], handle: Callable[[list[Any]], int]) -> int:
    """Handle a chunk in slices of `SLICE`; once the node has worked longer than `YIELD_NS`,
    let the other tasks run between slices. Returns the count `handle` reports; adds the time
    spent handling (not waiting) to the node's `exec_ns`."""
    perf = time.perf_counter_ns
    t0 = perf()
    if len(items) <= SLICE:
        n = handle(items)
        node.exec_ns += perf() - t0
        return n
    n = 0
    for start in range(0, len(items), SLICE):
        if start and perf() - t0 > YIELD_NS:
            node.exec_ns += perf() - t0
            await trio.lowlevel.checkpoint()
            t0 = perf()
        n += handle(items[start : start + SLICE])
    node.exec_ns += perf() - t0
    return n


def _dispatch_pairs(rt: NodeRuntime) -> Callable[[list[tuple[int, Any]]], int]:
    """A handler of merged `(parent, message)` pairs for `_sliced`."""

    def handle(pairs: list[tuple[int, Any]]) -> int:
        return sum(_dispatch(rt, p, [msg]) for p, msg in pairs)

    return handle


def _dispatch(rt: NodeRuntime, parent: int, chunk: Chunk) -> int:
    """Hand every message of a chunk to the runtime; returns the number of points and batches."""
    on_point, on_batch = rt.point, rt.batch
    n = 0
    for msg in chunk:
        kind = type(msg)
        try:
            if kind is Point:
                n += 1
                on_point(msg, parent)
            elif kind is Batch:
                n += 1
                on_batch(msg, parent)
            elif kind is Barrier:
                rt.barrier(msg, parent)
            elif kind is DeleteGroup:
                rt.delete_group(msg, parent)
        except EvalError as exc:
            rt.error(str(exc))
    return n


def _msg_time(item: tuple[int, Any]) -> int:
    msg = item[1]
    t = getattr(msg, "time", None)
    return msg.tmax if t is None else t


async def _gathered(
    parent: int, chunk: Chunk, recv: trio.MemoryReceiveChannel[Envelope]
) -> list[Envelope]:
    """A node with several parents: this chunk and every chunk its siblings deliver meanwhile.

    Parents' chunks derived from one write arrive together; `_merge` then restores the order in
    which a point-by-point engine would have delivered them.
    """
    envelopes = [(parent, chunk)]
    for _ in range(MERGE_ROUNDS):
        await trio.lowlevel.cancel_shielded_checkpoint()  # let sibling branches deliver
        before = len(envelopes)
        while True:
            try:
                envelopes.append(recv.receive_nowait())
            except (trio.WouldBlock, trio.EndOfChannel):
                break
        if len(envelopes) == before:
            break
    return envelopes


def _disjoint_runs(envelopes: list[Envelope]) -> list[list[Envelope]] | None:
    """Gathered chunks cut into runs: the k-th chunk of each parent, in arrival order. Merging
    run by run gives the order of merging them all when each run's times all come after the
    previous run's; None when they do not (or the chunks are not all columnar)."""
    by_parent: dict[int, list[tuple[int, Envelope]]] = {}
    for i, env in enumerate(envelopes):
        c = env[1]
        if getattr(c, "time", None) is None or not len(c):
            return None
        by_parent.setdefault(env[0], []).append((i, env))
    if len(by_parent) < 2:
        return None
    depth = max(len(v) for v in by_parent.values())
    runs = []
    last = None
    for k in range(depth):  # a last run may lack some parent's chunk: it is merged as it is
        parts = [v[k] for v in by_parent.values() if k < len(v)]
        run = [env for _, env in sorted(parts, key=lambda x: x[0])]
        lo = min(int(c.time.min()) for _, c in run)
        if last is not None and lo <= last:
            return None
        last = max(int(c.time.max()) for _, c in run)
        runs.append(run)
    return runs


def _merge(envelopes: list[Envelope]) -> list[tuple[int, Any]]:
    """Gathered chunks as `(parent, message)` pairs merged in data-time order (ties keep arrival
    order); chunks with anything but points and batches are passed in arrival order."""
    streams = []
    for p, c in envelopes:
        if not all(type(m) is Point or type(m) is Batch for m in c):
            return [(p2, m) for p2, c2 in envelopes for m in c2]
        streams.append([(p, m) for m in c])
    if len(streams) == 1:
        return streams[0]
    return list(heapq.merge(*streams, key=_msg_time))
