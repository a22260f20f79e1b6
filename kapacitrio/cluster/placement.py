"""Runs the enabled tasks this member owns (see `cluster.members`) and stops the ones it lost.

The reconciler wakes on every change of a task document (local or remote), every change of the
live set, and once a heartbeat. Each owned stream task gets a `Feed` (its JetStream consumer); a
stop cancels the feed, drains the task, then checkpoints, so a clean move replays nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import trio

from kapacitrio.cluster.bridge import BridgeClosed
from kapacitrio.cluster.ingest import Feed, Ingest
from kapacitrio.cluster.members import Members
from kapacitrio.logs import get_logger
from kapacitrio.tasks.ids import TASKS

_log = get_logger("cluster")

_FINGERPRINT_KEYS = ("type", "script", "vars", "dbrps", "status", "template-id")


def fingerprint(doc: dict[str, Any]) -> str:
    return json.dumps([doc.get(k) for k in _FINGERPRINT_KEYS], sort_keys=True)


def start_ns(doc: dict[str, Any]) -> int:
    """When the task was last enabled, in Unix nanoseconds (0 when unknown)."""
    from datetime import datetime

    text = doc.get("last-enabled") or doc.get("created") or ""
    try:
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1e9)
    except ValueError:
        return 0


@dataclass
class Run:
    """One task running on this member."""

    task_id: str
    fp: str
    task: Any
    feed: Feed | None
    scope: trio.CancelScope = field(default_factory=trio.CancelScope)
    done: trio.Event = field(default_factory=trio.Event)


class Placement:
    """Start with `await nursery.start(placement.run)`; `poke()` after any change."""

    def __init__(self, services: Any, members: Members, ingest: Ingest, beat: float) -> None:
        self.services = services
        self.members = members
        self.ingest = ingest
        self.beat = beat
        self.running: dict[str, Run] = {}
        #: Tasks whose start failed, with the definition that failed (not retried until it changes).
        self.failed: dict[str, str] = {}
        self._wake = trio.Event()
        self._nursery: trio.Nursery | None = None
        self._leaving = False

    def poke(self) -> None:
        self._wake.set()

    def owner(self, task_id: str) -> str | None:
        return self.members.owner(task_id)

    async def run(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        try:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                nursery.start_soon(self._report_lag)
                task_status.started(self)
                while True:
                    self._wake = trio.Event()
                    await self.reconcile()
                    with trio.move_on_after(self.beat):
                        await self._wake.wait()
        finally:
            with trio.CancelScope(shield=True):
                for task_id in list(self.running):
                    await self._stop(task_id, forget=False)

    async def _report_lag(self) -> None:
        """Put each running feed's consumer lag into this member's heartbeat record."""
        link = self.ingest.link
        while True:
            await trio.sleep(max(self.beat, 1.0))
            lag: dict[str, Any] = {}
            for task_id, run in list(self.running.items()):
                if run.feed is None:
                    continue
                try:
                    with trio.move_on_after(1):
                        info = await link.consumer_lag(run.feed.durable)
                        if info is not None:
                            lag[task_id] = info | {"checkpoint": run.feed.saved}
                except (*link.errors, BridgeClosed):
                    pass
            self.members.extra["lag"] = lag

    async def reconcile(self) -> None:
        me = self.members.name
        docs = await self.services.store.list(TASKS)
        by_id = {d["id"]: d for d in docs}
        desired: dict[str, dict[str, Any]] = {}
        if not self.members.fenced and not self._leaving:
            for d in docs:
                if d.get("status") == "enabled" and self.members.owner(d["id"]) == me:
                    desired[d["id"]] = d
        for task_id, run in list(self.running.items()):
            want = desired.get(task_id)
            if want is None or fingerprint(want) != run.fp or run.done.is_set():
                doc = by_id.get(task_id)
                gone = doc is None or doc.get("status") != "enabled"
                await self._stop(task_id, forget=gone)
        for task_id in [t for t in self.failed if t not in by_id]:
            del self.failed[task_id]
        if not self.members.settled:
            return  # just joined: let the previous owners see us and stop first
        for task_id, doc in desired.items():
            if task_id in self.running or self.failed.get(task_id) == fingerprint(doc):
                continue
            await self._start(doc)
        self.members.running = sorted(self.running)

    async def shutdown(self) -> None:
        """Stop every task here cleanly (drained, checkpointed) and start none any more."""
        self._leaving = True
        with trio.CancelScope(shield=True):
            async with trio.open_nursery() as nursery:  # all at once: each drains on its own
                for task_id in list(self.running):
                    nursery.start_soon(lambda t=task_id: self._stop(t, forget=False))

    async def _start(self, doc: dict[str, Any]) -> None:
        from kapacitrio.engine.taskmaster import TaskStartError, _measurements
        from kapacitrio.tasks.compileopts import compile_options
        from kapacitrio.tasks.compiling import compile_doc
        from kapacitrio.tick.errors import TickError

        task_id, tm = doc["id"], self.services.taskmaster
        dbrps = [(d["db"], d["rp"]) for d in doc.get("dbrps") or []]
        try:
            pipeline = compile_doc(
                doc["script"], doc["type"], doc.get("vars") or {}, **compile_options(self.services)
            )
            task = await tm.start_task(task_id, pipeline, dbrps)
        except (TickError, TaskStartError) as exc:
            _log.error("cannot start task", task=task_id, err=str(exc))
            self.failed[task_id] = fingerprint(doc)
            await self._record_error(task_id, str(exc))
            return
        feed = None
        if doc["type"] == "stream":
            feed = Feed(self.ingest, tm, task_id, dbrps, _measurements(pipeline), start_ns(doc))
            feed.alerts = self.services.alerts
        run = Run(task_id, fingerprint(doc), task, feed)
        self.running[task_id] = run
        assert self._nursery is not None
        self._nursery.start_soon(self._supervise, run)
        _log.info("started task", task=task_id, instance=self.members.name)
        if doc.get("error"):
            await self._record_error(task_id, "")

    async def _supervise(self, run: Run) -> None:
        try:
            with run.scope:
                async with trio.open_nursery() as nursery:
                    if run.feed is not None:
                        nursery.start_soon(self._feed_forever, run.feed)
                    await run.task.finished.wait()
                    nursery.cancel_scope.cancel()
                error = getattr(run.task, "error", "")
                if error:
                    _log.error("task finished with error", task=run.task_id, err=error)
                    await self._record_error(run.task_id, error)
        finally:
            run.done.set()
            self.poke()

    async def _feed_forever(self, feed: Feed) -> None:
        while True:
            try:
                await feed.run()
            except (*feed.link.errors, BridgeClosed) as exc:
                _log.warning("task feed interrupted", task=feed.task_id, err=repr(exc))
            await trio.sleep(self.ingest.poll)

    async def _stop(self, task_id: str, *, forget: bool) -> None:
        run = self.running.pop(task_id, None)
        if run is None:
            return
        run.scope.cancel()
        await run.done.wait()
        if run.feed is not None and not forget and not self.members.fenced:
            await run.feed.snapshot_before_stop()  # node state as of the last point handed over
        await self.services.taskmaster.stop_task(task_id)
        if run.feed is not None:
            if forget:  # disabled or deleted: enabling again starts from new points
                await self.ingest.forget(task_id)
            elif not self.members.fenced:  # a fenced member's task may already run elsewhere
                await run.feed.final_checkpoint()
        self.members.running = sorted(self.running)
        _log.info("stopped task", task=task_id, instance=self.members.name)

    async def _record_error(self, task_id: str, error: str) -> None:
        store = self.services.store
        doc = await store.get(TASKS, task_id)
        if doc is not None and doc.get("error", "") != error:
            doc["error"] = error
            try:
                await store.put(TASKS, task_id, doc)
            except Exception as exc:
                _log.warning("cannot record a task error", task=task_id, err=repr(exc))

    def info(self, task_id: str) -> dict[str, Any]:
        """Where a task runs and its feed's progress (for the API)."""
        run = self.running.get(task_id)
        out: dict[str, Any] = {"instance": self.owner(task_id) or ""}
        if run is not None and run.feed is not None:
            out["consumer"] = run.feed.durable
            out["position"] = run.feed.handed
            out["checkpoint"] = run.feed.saved
        return out
