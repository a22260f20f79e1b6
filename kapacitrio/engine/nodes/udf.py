"""`@name()` UDF nodes: points and batches go to the function's agent, its answers go on.

Each node has its own agent (a new process, or a new connection to the socket) for as long as
the task runs. Input is queued and written by a background writer; the node stops taking input
while much is still unwritten. On a clean stop the node takes a snapshot, closes the agent's input
and forwards what the agent still answers. Snapshots are also taken every `[task]
snapshot-interval` and restored when the task starts again (not in replays).

A task that moves to another cluster member hands its agent's state over through the node
snapshots (`engine.snapshot`): the agent is asked for a snapshot once the task is idle, and the
new run's agent gets it as a restore request before its first point.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import trio

from kapacitrio.config import duration_ns
from kapacitrio.engine.node import NodeError, NodeRuntime, register
from kapacitrio.models.point import Barrier, Batch, DeleteGroup, Point
from kapacitrio.udf import convert, wire
from kapacitrio.udf.agent import UDFError
from kapacitrio.udf.service import service as udf_service

#: Unwritten request bytes above which the node waits before taking more input.
HIGH_WATER = 1 << 20

_NOT_OPTIONS = ("udf", "quiet")


@register("udf")
class UDFNode(NodeRuntime):
    """The runtime of one UDF node."""

    def __init__(self, spec: Any, ctx: Any) -> None:
        super().__init__(spec, ctx)
        self.udf = spec.props["udf"]
        self.calls = [
            (name, list(args))
            for name, value in spec.props.items()
            if name not in _NOT_OPTIONS and isinstance(value, list)
            for args in value
        ]
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._wake = trio.Event()
        self._space = trio.Event()
        self._closing = False
        self._done = trio.Event()
        self._batches = convert.BatchAssembler()
        self._session: Any = None
        self._handover: bytes | None = None  # an agent snapshot from a moved task, not yet sent

    # -- state handover (cluster): the agent's own snapshot
    def busy(self) -> bool:
        return bool(self._pending)

    async def snapshot_async(self) -> Any:
        if self._handover is not None:  # not given to the agent yet: still the state
            return base64.b64encode(self._handover).decode()
        if self._session is None:
            return None
        try:
            data = await self._session.snapshot()
        except UDFError as exc:
            self.error(f"failed to take snapshot: {exc}")
            return None
        return base64.b64encode(data).decode()

    def restore(self, data: Any) -> None:
        try:
            self._handover = base64.b64decode(data, validate=True)
        except (binascii.Error, TypeError) as exc:
            raise ValueError(f"agent snapshot is not base64: {exc}") from None

    async def _give_handover(self, session: Any) -> None:
        """Restore the agent from a moved task's snapshot, before it gets any data."""
        data, self._handover = self._handover, None
        if data:
            await session.restore(data)

    # -- input (synchronous handlers: queue for the writer)
    def _queue(self, data: bytes) -> None:
        self._pending.append(data)
        self._pending_size += len(data)
        self._wake.set()

    def point(self, p: Point, parent: int) -> None:
        self._queue(wire.frame(convert.point_request(p)))

    def batch(self, b: Batch, parent: int) -> None:
        self._queue(b"".join(wire.frame(r) for r in convert.batch_requests(b)))

    def barrier(self, b: Barrier, parent: int) -> None:
        """Agents know nothing of barriers (as in Kapacitor)."""

    def delete_group(self, d: DeleteGroup, parent: int) -> None:
        """Agents keep their own group state."""

    async def wait_ready(self) -> None:
        """Runner hook after each input chunk: wait while the agent is far behind."""
        while self._pending_size > HIGH_WATER:
            self._space = trio.Event()
            await self._space.wait()

    async def drain(self) -> None:
        """Runner hook when the input ends: finish with the agent before the node ends."""
        self._closing = True
        self._wake.set()
        await self._done.wait()

    # -- the agent
    async def run_background(self) -> None:
        svc = udf_service(self.ctx.services)
        if svc is None:
            raise NodeError(f"UDF {self.udf!r} is not available: no UDF service is running")
        try:
            async with svc.session(self.udf, now=self.ctx.clock.now, log=self._log) as session:
                session.on_data = self._on_data
                req = convert.init_request(self.calls, self.ctx.task_id, self.spec.name)
                await session.init(req)
                persist = self._persistent()
                if self._handover is not None:
                    await self._give_handover(session)
                elif persist:
                    snapshot = await svc.load_snapshot(self.ctx.task_id, self.spec.name)
                    if snapshot:
                        await session.restore(snapshot)
                self._session = session
                async with trio.open_nursery() as nursery:
                    if persist:
                        nursery.start_soon(self._snapshots, svc, session)
                    await self._writer(session)
                    nursery.cancel_scope.cancel()
                if persist:
                    await self._snapshot(svc, session)
                self._session = None
                await session.close()
        except UDFError as exc:
            raise NodeError(str(exc)) from None
        finally:
            self._done.set()

    async def _writer(self, session: Any) -> None:
        """Write queued requests until the input has ended and everything is written."""
        while True:
            if not self._pending:
                if self._closing:
                    return
                self._wake = trio.Event()
                await self._wake.wait()
                continue
            if self._handover is not None:  # handed over after the agent started
                await self._give_handover(session)
            data = b"".join(self._pending)
            self._pending.clear()
            self._pending_size = 0
            self._space.set()
            await session.send_bytes(data)

    async def _on_data(self, msgs: list[Any]) -> None:
        for msg in msgs:
            kind = msg.WhichOneof("message")
            if kind == "begin":
                self._batches.begin_batch(msg.begin)
            elif kind == "point":
                if not self._batches.add(msg.point):
                    self.emit(convert.point(msg.point))
            elif kind == "end":
                self.emit(self._batches.end(msg.end))
        await self.flush()

    # -- snapshots
    def _persistent(self) -> bool:
        """Only the live task keeps snapshots: a replay runs its own TaskMaster and clock."""
        tm = getattr(self.ctx.services, "taskmaster", None)
        store = getattr(self.ctx.services, "store", None)
        return store is not None and getattr(tm, "clock", None) is self.ctx.clock

    async def _snapshots(self, svc: Any, session: Any) -> None:
        try:
            every = duration_ns(self.ctx.services.config.get("task").snapshot_interval) / 1e9
        except (AttributeError, KeyError, ValueError):
            every = 60.0
        if every <= 0:
            return
        while True:
            await trio.sleep(every)
            await self._snapshot(svc, session)

    async def _snapshot(self, svc: Any, session: Any) -> None:
        data = await session.snapshot()
        try:
            await svc.save_snapshot(self.ctx.task_id, self.spec.name, data)
        except Exception as exc:  # a full disk must not stop the task; the next one may work
            self.error(f"failed to save snapshot: {exc}")

    def _log(self, level: str, message: str) -> None:
        self.ctx.log(level, self.spec.name, message)
