"""Making recordings: tapping the live stream, running a batch task's queries, running one query.

Each `record_*` coroutine writes the payload file and returns when the recording is complete;
`progress` on the `Progress` it is given moves from 0 to 1 meanwhile. File writes run in worker
threads (`trio.to_thread`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import trio

from kapacitrio.engine.clock import Clock
from kapacitrio.models.point import Point
from kapacitrio.pipeline.spec import Pipeline
from kapacitrio.replay import sources
from kapacitrio.replay.errors import SourceError
from kapacitrio.replay.files import BatchWriter, StreamWriter

#: Points a stream tap holds before live writes wait for the file writer to catch up.
TAP_BUFFER_POINTS = 200_000

#: Most points (stream) or batch points one recording may hold.
MAX_RECORDING_POINTS = 50_000_000


def check_size(count: int) -> None:
    """Refuse to grow a recording past `MAX_RECORDING_POINTS`."""
    if count > MAX_RECORDING_POINTS:
        raise SourceError(f"recording is too large: more than {MAX_RECORDING_POINTS} points")


class Progress:
    """How far a recording or replay has come (0..1), readable while it runs."""

    def __init__(self) -> None:
        self.value = 0.0
        self.fn: Any = None

    def get(self) -> float:
        return float(self.fn()) if self.fn is not None else self.value


class StreamTap:
    """A router target that collects the points written for a task's dbrps and measurements.

    Points later than `stop` are dropped and end the recording (as a point past the end of a
    recording window does in Kapacitor).
    """

    def __init__(self, stop: int) -> None:
        self.stop = stop
        self.buf: list[Point] = []
        self.done = trio.Event()
        self.wake = trio.Event()
        self.drained = trio.Event()

    async def write_points(self, points: list[Point]) -> None:
        if self.done.is_set():
            return
        stop = self.stop
        keep = [p for p in points if p.time <= stop]
        if len(keep) < len(points):
            self.done.set()
        self.buf.extend(keep)
        self.wake.set()
        if len(self.buf) > TAP_BUFFER_POINTS and not self.done.is_set():
            await self.drained.wait()

    def finish(self) -> None:
        self.done.set()
        self.wake.set()

    def take(self) -> list[Point]:
        """The points collected since the last call."""
        self.wake = trio.Event()
        out, self.buf = self.buf, []
        drained, self.drained = self.drained, trio.Event()
        drained.set()
        return out


async def record_stream(
    tm: Any,
    clock: Clock,
    path: Path,
    dbrps: list[tuple[str, str]],
    measurements: set[str],
    stop: int,
    progress: Progress,
) -> None:
    """Record what the router sends a task's inputs until the clock (or the data) passes `stop`."""
    start = clock.now()
    span = max(1, stop - start)
    progress.fn = lambda: min(1.0, max(0.0, (clock.now() - start) / span))
    tap = StreamTap(stop)
    tm.router.add(tap, dbrps, measurements)  # before any wait: nothing written from now is lost
    writer: StreamWriter | None = None
    try:
        writer = await trio.to_thread.run_sync(StreamWriter, path)
        async with trio.open_nursery() as nursery:

            async def timer() -> None:
                await clock.sleep_until(stop + 1)
                tap.finish()

            nursery.start_soon(timer)
            while True:
                await tap.wake.wait()
                points = tap.take()
                if points:
                    check_size(writer.count + len(points))
                    await trio.to_thread.run_sync(writer.write, points)
                if tap.done.is_set() and not tap.buf:
                    break
            nursery.cancel_scope.cancel()
    finally:
        tm.router.remove(tap)
        tap.finish()
        if writer is not None:
            with trio.CancelScope(shield=True):
                await trio.to_thread.run_sync(writer.close)
    progress.fn = None
    progress.value = 1.0


async def record_batch(
    services: Any,
    task_id: str,
    pipeline: Pipeline,
    path: Path,
    start: int,
    stop: int,
    now: int,
    progress: Progress,
) -> None:
    """Record the results of a batch task's queries for the ticks between start and stop."""
    plans = sources.plan_batch_queries(task_id, pipeline, start, stop, now)
    total = sum(len(p.windows) for p in plans) or 1
    writer = await trio.to_thread.run_sync(BatchWriter, path)
    size = 0
    try:
        async for index, done, batches in sources.run_batch_plans(services, plans):
            size += sum(len(b.points) for b in batches)
            check_size(size)
            await trio.to_thread.run_sync(writer.write, index, batches)
            progress.value = min(0.999, done / total)
    finally:
        with trio.CancelScope(shield=True):
            await trio.to_thread.run_sync(writer.close)
    progress.value = 1.0


async def record_query(
    services: Any, path: Path, query: str, typ: str, cluster: str, progress: Progress
) -> None:
    """Record a query's result as stream points or as one source of batches."""
    if typ == "stream":
        points = await sources.query_points(services, query, cluster)
        check_size(len(points))
        progress.value = 0.5
        writer: Any = await trio.to_thread.run_sync(StreamWriter, path)
        try:
            await trio.to_thread.run_sync(writer.write, points)
        finally:
            with trio.CancelScope(shield=True):
                await trio.to_thread.run_sync(writer.close)
    else:
        batches = await sources.query_batches(services, query, cluster)
        check_size(sum(len(b.points) for b in batches))
        progress.value = 0.5
        writer = await trio.to_thread.run_sync(BatchWriter, path)
        try:
            await trio.to_thread.run_sync(writer.write, 0, batches)
        finally:
            with trio.CancelScope(shield=True):
                await trio.to_thread.run_sync(writer.close)
    progress.value = 1.0
