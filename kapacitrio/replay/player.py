"""Plays recorded data into a private instance of a task, on the replay's own clock.

Each replay runs its task in a TaskMaster of its own, so the task's live instance (and every
other task) sees nothing of it. Stream data goes through that TaskMaster's router as chunks of
fresh points, as live writes do; batches are fed to the task's query nodes in pipeline order.

Clocks: with `clock: fast` the task's clock is a `VirtualClock` moved to each chunk's data time
and nothing sleeps. With `clock: real` the task's clock is a `TrioClock` anchored at the first
data time, and the player sleeps on it until each chunk is due, so gaps in the data take as long
as they did (under `trio.testing.MockClock` they pass instantly). Unless `recording_time` is set,
data times are shifted so the first one is `now`.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any, Protocol

import trio

from kapacitrio.engine.clock import TrioClock, VirtualClock
from kapacitrio.engine.task import Task, TaskStartError
from kapacitrio.engine.taskmaster import TaskMaster, batch_sources, feed_query, open_taskmaster
from kapacitrio.models.chunk import PointChunk
from kapacitrio.models.point import Batch, BatchPoint, Point
from kapacitrio.pipeline.spec import Pipeline
from kapacitrio.replay.errors import SourceError
from kapacitrio.replay.files import RecordingFileError

FAST = "fast"
REAL = "real"

#: Most points one stream chunk carries in fast mode.
CHUNK_POINTS = 1000


class ReplayFailed(Exception):
    """The replay could not run to its end; the text is what the replay's `error` shows."""


def quiet_queries(pipeline: Pipeline) -> Pipeline:
    """Turn off the live query schedule of batch sources: a replay feeds them recorded data."""
    for spec in pipeline.nodes:
        if spec.kind in ("query", "queryFlux"):
            spec.props["every"] = 0
            spec.props.pop("cron", None)
    return pipeline


class Player:
    """One replay of data into a private instance of a task."""

    def __init__(
        self,
        task_id: str,
        pipeline: Pipeline,
        dbrps: list[tuple[str, str]],
        services: Any,
        *,
        clock: str = FAST,
        recording_time: bool = False,
        now: Callable[[], int],
        log_sink: Any = None,
        replay_id: str = "",
    ) -> None:
        self.task_id = task_id
        #: The private TaskMaster's id: anonymous alert topics are `<replay id>:<task>:<node>`.
        self.replay_id = replay_id or "replay"
        self.pipeline = quiet_queries(pipeline)
        self.dbrps = dbrps
        self.services = services
        self.mode = clock
        self.recording_time = recording_time
        self.now = now
        self.log_sink = log_sink
        self.task: Task | None = None
        self.progress = 0.0

    # -- clocks
    def _clock(self, first: int) -> Any:
        return TrioClock(first) if self.mode == REAL else VirtualClock(first)

    async def _advance(self, clock: Any, t: int) -> None:
        if self.mode == REAL:
            await clock.sleep_until(t)
        else:
            clock.advance_to(t)

    def _shift(self, first: int) -> int:
        return 0 if self.recording_time else self.now() - first

    # -- running the task
    async def _start(self, tm: TaskMaster) -> Task:
        try:
            self.task = await tm.start_task(self.task_id, self.pipeline, self.dbrps)
        except TaskStartError as exc:
            raise ReplayFailed(f"task start: {exc}") from None
        return self.task

    async def _finish(self, tm: TaskMaster, task: Task) -> dict[str, Any]:
        """Let the task drain and end; its stats, or `ReplayFailed` with its error."""
        await tm.stop_task(self.task_id)
        self.progress = 1.0
        if task.error:
            raise ReplayFailed(f"task run: {task.error}")
        return {"task-stats": {"throughput": 0.0}, "node-stats": task.node_stats()}

    async def _session(self, clock: Any, feed: Callable[[TaskMaster, Task], Any]) -> dict[str, Any]:
        """Start the task in a private TaskMaster, `feed` it, let it finish; stats or `ReplayFailed`.

        Failures are carried out of the TaskMaster's nursery by hand, so callers see a plain
        `ReplayFailed` rather than an exception group.
        """
        failure: Exception | None = None
        stats: dict[str, Any] = {}
        async with open_taskmaster(clock, self.services, self.log_sink, self.replay_id) as tm:
            try:
                task = await self._start(tm)
                await feed(tm, task)
                stats = await self._finish(tm, task)
            except ReplayFailed as exc:
                failure = exc
            except (SourceError, RecordingFileError) as exc:
                failure = ReplayFailed(f"running replay: {exc}")
        if failure is not None:
            raise failure
        return stats

    # -- stream data
    async def play_stream(self, blocks: BlockSource) -> dict[str, Any]:
        """Replay blocks of points (with the share of the data read so far) into a stream task."""
        try:
            return await self._play_stream(blocks)
        finally:
            with trio.CancelScope(shield=True):
                await blocks.aclose()

    async def _play_stream(self, blocks: BlockSource) -> dict[str, Any]:
        block = await blocks.next()
        first = block[0][0].time if block and block[0] else self.now()
        shift = self._shift(first)
        clock = self._clock(first + shift)

        async def feed(tm: TaskMaster, task: Task) -> None:
            nonlocal block
            while block is not None:
                points, progress = block
                before = self.progress
                chunks = self._chunks(points, shift)
                for k, chunk in enumerate(chunks):
                    # the share done moves from chunk to chunk within the block
                    self.progress = min(before + (progress - before) * k / len(chunks), 0.999)
                    await self._advance(clock, chunk[-1].time)
                    await self._route(tm, task, chunk)
                self.progress = min(progress, 0.999)
                block = await blocks.next()

        return await self._session(clock, feed)

    def _chunks(self, points: list[Point], shift: int) -> list[list[Point]]:
        """Consecutive points of one dbrp (and, on the real clock, of one time)."""
        chunks: list[list[Point]] = []
        real = self.mode == REAL
        for p in points:
            if shift:
                p.time += shift
            last = chunks[-1] if chunks else None
            if (
                last is None
                or last[0].db != p.db
                or last[0].rp != p.rp
                or len(last) >= CHUNK_POINTS
                or (real and last[-1].time != p.time)
            ):
                chunks.append([p])
            else:
                last.append(p)
        return chunks

    @staticmethod
    async def _route(tm: TaskMaster, task: Task, chunk: list[Point]) -> None:
        """Deliver the points the task's router entry wants as one fresh chunk."""
        by_meas, wild = tm.router.table(chunk[0].db, chunk[0].rp)
        wanted = PointChunk(p for p in chunk if task in by_meas.get(p.name, wild))
        if wanted:
            await task.write_points(wanted)

    # -- batch data
    async def play_batches(self, sources: list[list[Batch]]) -> dict[str, Any]:
        """Replay each source's batches to the task's batch sources, interleaved by data time.

        As Kapacitor replays batch recordings: empty batches are dropped, each source is shifted
        on its own (its first point lands on `now`), and a batch's time becomes the later of its
        recorded `tmax` and its last shifted point.
        """
        lanes = [
            _lane(i, batches, self.recording_time, self.now()) for i, batches in enumerate(sources)
        ]
        firsts = [lane[0][0] for lane in lanes if lane]
        total = sum(len(lane) for lane in lanes) or 1
        clock = self._clock(min(firsts) if firsts else self.now())

        async def feed(tm: TaskMaster, task: Task) -> None:
            have = len(batch_sources(task))
            if len(sources) > have:
                raise ReplayFailed(
                    f"running replay: the data has {len(sources)} batch sources, "
                    f"task {self.task_id} has {have}"
                )
            for n, (t, i, b) in enumerate(heapq.merge(*lanes, key=lambda x: (x[0], x[1])), 1):
                await self._advance(clock, t)
                await feed_query(task, i, [b])
                self.progress = min(n / total, 0.999)

        return await self._session(clock, feed)


def _lane(index: int, batches: list[Batch], recording_time: bool, now: int) -> list[Any]:
    """(delivery time, source index, shifted batch) for one source's non-empty batches."""
    full = [b for b in batches if b.points]
    if not full:
        return []
    shift = 0 if recording_time else now - full[0].points[0].time
    out = []
    for b in full:
        if shift:
            points = [BatchPoint(p.time + shift, p.fields, p.tags) for p in b.points]
            b = b.copy_with(points=points, tmax=max(b.tmax, points[-1].time))
        out.append((b.points[-1].time, index, b))
    return out


class BlockSource(Protocol):
    """Where `play_stream` reads points from, a block at a time."""

    async def next(self) -> tuple[list[Point], float] | None:
        """The next block and the share of the data read so far; None at the end."""
        ...

    async def aclose(self) -> None: ...


class MemoryBlocks:
    """Points already in memory, as one block."""

    def __init__(self, points: list[Point]) -> None:
        self._points: list[Point] | None = points

    async def next(self) -> tuple[list[Point], float] | None:
        await trio.lowlevel.checkpoint()
        points, self._points = self._points, None
        return (points, 1.0) if points else None

    async def aclose(self) -> None:
        self._points = None
