"""The task service's link to the engine: starting, watching and stopping tasks, their stats."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import trio

from kapacitrio.logs import get_logger
from kapacitrio.tasks.batchcheck import check_batch_queries
from kapacitrio.tasks.compiling import compile_doc
from kapacitrio.tasks.errors import Internal, Invalid
from kapacitrio.tasks.ids import TASKS
from kapacitrio.tasks.locks import KeyedLock
from kapacitrio.tasks.views import Throughput
from kapacitrio.tick.errors import TickError

if TYPE_CHECKING:
    from kapacitrio.pipeline.spec import Pipeline

_log = get_logger("task_store")


class TaskRunner:
    """Owns the locks, the engine's running tasks and their watchers (the base of `TaskService`)."""

    def __init__(self, services: Any) -> None:
        self.services = services
        self.store = services.store
        self._locks = KeyedLock()
        self._throughput = Throughput()
        self._nursery: trio.Nursery | None = None
        #: The engine task each id last started; a watcher only speaks for the current one.
        self._current: dict[str, Any] = {}

    @asynccontextmanager
    async def _task_lock(
        self, *task_ids: str, templates: Iterable[str] = ()
    ) -> AsyncIterator[None]:
        """Hold the locks of these tasks and of every template they (or `templates`) belong to.

        A change to one task never waits for another task's change (a stop may take seconds);
        a template change holds its template, which every change of its tasks also takes.
        """
        asked = {t for t in templates if t}
        while True:
            want = asked | await self._templates_of(task_ids)
            keys = [f"task:{t}" for t in task_ids if t] + [f"template:{t}" for t in want]
            async with self._locks.hold(keys):
                if await self._templates_of(task_ids) <= want:  # unchanged while we waited
                    yield
                    return

    async def _templates_of(self, task_ids: Iterable[str]) -> set[str]:
        out = set()
        for task_id in task_ids:
            doc = await self.store.get(TASKS, task_id) if task_id else None
            if doc is not None and doc.get("template-id"):
                out.add(doc["template-id"])
        return out

    def _template_lock(self, *template_ids: str) -> Any:
        """Hold the locks of these templates (and so of every change to their tasks)."""
        return self._locks.hold(f"template:{t}" for t in template_ids if t)

    def _opts(self) -> dict[str, Any]:
        """`compile_task` keywords from the current config (`[deadman]`) and UDFs."""
        from kapacitrio.tasks.compileopts import compile_options

        return compile_options(self.services)

    @property
    def tm(self) -> Any:
        return self.services.taskmaster

    # -- engine
    async def _start(self, doc: dict[str, Any], pipeline: Pipeline) -> None:
        """Start (or restart) a task in the engine; a start failure is `Invalid` with its text."""
        from kapacitrio.engine.taskmaster import TaskStartError

        if self.tm is None:
            raise Internal("the engine is not running")
        if doc.get("type") == "batch":
            check_batch_queries(pipeline, doc["dbrps"], self.services)
        if self.services.extra.get("cluster") is not None:
            doc["error"] = ""
            return  # a cluster member runs a task only where placement puts it
        dbrps = [(d["db"], d["rp"]) for d in doc["dbrps"]]
        try:
            task = self.tm.start_task(doc["id"], pipeline, dbrps)
            if inspect.isawaitable(task):
                task = await task
        except TaskStartError as exc:
            raise Invalid(str(exc)) from None
        doc["error"] = ""
        self._current[doc["id"]] = task
        _log.info("started task", task=doc["id"])
        if self._nursery is not None and hasattr(task, "finished"):
            self._nursery.start_soon(self._watch, doc["id"], task)

    async def run(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        """Own the nursery that watches running tasks (start with `nursery.start(svc.run)`)."""
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            task_status.started()
            await trio.sleep_forever()

    async def _watch(self, task_id: str, task: Any) -> None:
        """When a task stops on an error, keep the error on the stored task (`"error"`).

        Only while it is still the task's current run: a restart (or a delete) that got the lock
        first has already stored a fresh document, which an old run's error must not overwrite.
        """
        await task.finished.wait()
        error = getattr(task, "error", "")
        if not error:
            return
        _log.error("task finished with error", task=task_id, err=error)
        async with self._task_lock(task_id):
            if self._current.get(task_id) is not task:
                return
            doc = await self.store.get(TASKS, task_id)
            if doc is not None and doc.get("error") != error:
                doc["error"] = error
                await self.store.put(TASKS, task_id, doc)

    async def _stop(self, task_id: str) -> None:
        self._current.pop(task_id, None)
        if self.tm is None or self.services.extra.get("cluster") is not None:
            return
        result = self.tm.stop_task(task_id)
        if inspect.isawaitable(result):
            await result

    def _info(self, task_id: str) -> dict[str, Any] | None:
        if self.tm is None:
            return None
        return self.tm.task_info(task_id)

    async def start_enabled(self) -> None:
        """Start every stored enabled task (at server start); failures are logged and recorded."""
        async with self._task_lock(*await self.store.ids(TASKS)):
            await self._start_enabled()

    async def _start_enabled(self) -> None:
        for doc in await self.store.list(TASKS):
            if doc.get("status") != "enabled":
                continue
            had_error = doc.get("error", "")
            try:
                pipeline = compile_doc(
                    doc["script"], doc["type"], doc.get("vars") or {}, **self._opts()
                )
                await self._start(doc, pipeline)
            except (TickError, Invalid, Internal) as exc:
                _log.error("error starting enabled task", task=doc["id"], err=str(exc))
                doc["error"] = str(exc)
            if doc.get("error", "") != had_error:
                await self.store.put(TASKS, doc["id"], doc)

    async def counts(self) -> tuple[int, int]:
        """(number of tasks, number of enabled tasks)."""
        total = await self.store.count(TASKS)
        enabled = await self.store.count(TASKS, {"status": "enabled"})
        return total, enabled

    async def _restore(self, original: dict[str, Any]) -> None:
        """Bring the engine back to a stored task's state (after a failed change)."""
        if original["status"] != "enabled":
            return
        try:
            pipeline = compile_doc(
                original["script"], original["type"], original.get("vars") or {}, **self._opts()
            )
            await self._start(original, pipeline)
        except (TickError, Invalid, Internal) as exc:
            _log.error("error restoring task", task=original["id"], err=str(exc))

    def http_out(self, task_id: str, endpoint: str) -> dict[str, Any] | None:
        """The current result of a task's httpOut endpoint, or None."""
        if self.tm is None:
            return None
        return self.tm.http_out(task_id, endpoint)
