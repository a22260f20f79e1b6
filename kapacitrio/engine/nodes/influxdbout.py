"""influxDBOut: buffer points and write them to InfluxDB off the hot path."""

from __future__ import annotations

from collections import deque
from typing import Any

import trio

from kapacitrio.engine import snapcodec as codec
from kapacitrio.engine.node import NodeError, NodeRuntime, register
from kapacitrio.influxdb.clusters import lookup
from kapacitrio.influxdb.lineprotocol import EncodeError, encode, precision_ns
from kapacitrio.models.point import Batch, Point

#: Full buffers waiting for the writer before the oldest is dropped.
MAX_PENDING = 100
#: Wall seconds a final flush may take when the task stops.
FINAL_FLUSH_SECONDS = 5.0


@register("influxDBOut")
class InfluxDBOutNode(NodeRuntime):
    """Writes every point (all tags and fields) to database/retentionPolicy, `buffer` at a time."""

    extra_stats = {"points_written": 0, "write_errors": 0}

    def __init__(self, spec, ctx) -> None:
        super().__init__(spec, ctx)
        p = spec.props
        self.cluster: str = p.get("cluster", "")
        self.database: str = p.get("database", "")
        self.rp: str = p.get("retentionPolicy", "")
        self.measurement: str = p.get("measurement", "")
        self.tags: dict[str, str] = dict(p.get("tags") or {})
        self.precision: str = p.get("precision", "")
        self.consistency: str = p.get("writeConsistency", "")
        self.size = max(int(p.get("buffer") or 1000), 1)
        self.interval = int(p.get("flushInterval") or 10_000_000_000)
        self.create = bool(p.get("create", False))
        try:
            precision_ns(self.precision)
        except EncodeError as exc:
            raise NodeError(str(exc)) from exc
        # lines per retention policy (the point's own when `.retentionPolicy` is not set)
        self.buffers: dict[str, list[str]] = {}
        self.pending: deque[tuple[str, list[str]]] = deque()
        self.wake = trio.Event()

    # -- state handover: lines buffered or queued and not yet written (written by the new run;
    # one the old run also wrote is the same point again, which InfluxDB keeps once)
    def snapshot(self) -> Any:
        if not self.buffers and not self.pending:
            return None
        buffers = {rp: list(lines) for rp, lines in self.buffers.items()}
        return {"buffers": buffers, "pending": [[rp, list(lines)] for rp, lines in self.pending]}

    def restore(self, data: Any) -> None:
        buffers = {str(rp): _lines(lines) for rp, lines in codec.mapping(data["buffers"]).items()}
        pending = [(str(rp), _lines(lines)) for rp, lines in data["pending"]]
        for rp, lines in buffers.items():
            self.buffers.setdefault(rp, []).extend(lines)
        self.pending.extend(pending)
        if self.pending:
            self.wake.set()

    # -- hot path
    def _add(self, rp: str, name: str, tags: dict, fields: dict, time: int) -> None:
        if self.tags:
            tags = {**tags, **self.tags}
        try:
            line = encode(self.measurement or name, tags, fields, time, self.precision)
        except EncodeError as exc:
            self.error(str(exc))
            return
        rp = self.rp or rp
        buf = self.buffers.setdefault(rp, [])
        buf.append(line)
        if len(buf) >= self.size:
            self._queue(rp)

    def _queue(self, rp: str) -> None:
        lines = self.buffers.pop(rp, None)
        if not lines:
            return
        if len(self.pending) >= MAX_PENDING:
            _, dropped = self.pending.popleft()
            self.stats["write_errors"] += 1
            self.error(f"write queue full: dropped {len(dropped)} points")
        self.pending.append((rp, lines))
        self.wake.set()

    def _queue_all(self) -> None:
        for rp in list(self.buffers):
            self._queue(rp)

    def point(self, p: Point, parent: int) -> None:
        self._add(p.rp, p.name, p.tags, p.fields, p.time)

    def batch(self, b: Batch, parent: int) -> None:
        for bp in b.points:
            self._add(b.rp, b.name, bp.tags or b.tags, bp.fields, bp.time)

    # -- writer
    async def run_background(self) -> None:
        try:
            if self.create:
                await self._create()
            await self._writer()
        finally:
            with trio.move_on_after(FINAL_FLUSH_SECONDS) as scope:
                scope.shield = True
                self._queue_all()
                await self._drain()

    async def _create(self) -> None:
        client = lookup(self.ctx.services, self.cluster)
        if client is None:
            self.error(f"no InfluxDB cluster {self.cluster or 'default'!r} configured")
            return
        try:
            await client.create_database(self.database, self.rp)
        except Exception as exc:  # noqa: BLE001 - any failure is logged, the node keeps running
            self.error(f"failed to create database {self.database!r}: {exc}")

    async def _writer(self) -> None:
        clock = self.ctx.clock
        next_flush = clock.now() + self.interval
        while True:
            await self._wait(next_flush)
            if clock.now() >= next_flush:
                self._queue_all()
                next_flush = clock.now() + self.interval
            self.wake = trio.Event()
            await self._drain()

    async def _wait(self, deadline: int) -> None:
        """Return at the flush deadline or as soon as a full buffer is queued."""
        async with trio.open_nursery() as nursery:

            async def timer() -> None:
                await self.ctx.clock.sleep_until(deadline)
                nursery.cancel_scope.cancel()

            async def woken() -> None:
                await self.wake.wait()
                nursery.cancel_scope.cancel()

            nursery.start_soon(timer)
            nursery.start_soon(woken)

    async def _drain(self) -> None:
        while self.pending:
            rp, lines = self.pending.popleft()
            await self._write(rp, lines)

    async def _write(self, rp: str, lines: list[str]) -> None:
        client = lookup(self.ctx.services, self.cluster)
        if client is None:
            self.stats["write_errors"] += 1
            self.error(f"no InfluxDB cluster {self.cluster or 'default'!r} configured")
            return
        try:
            await client.write(
                self.database, "\n".join(lines), rp, self.precision, self.consistency
            )
        except Exception as exc:  # noqa: BLE001 - a failed write is counted, data is dropped
            self.stats["write_errors"] += 1
            self.error(f"failed to write points to InfluxDB: {exc}")
            return
        self.stats["points_written"] += len(lines)


def _lines(data: Any) -> list[str]:
    if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
        raise ValueError("buffered lines are not a list of strings")
    return data
