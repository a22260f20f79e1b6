"""Recording and replay jobs: each runs in the service's nursery and stores its outcome."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trio

from kapacitrio.logs import get_logger
from kapacitrio.models.timefmt import format_rfc3339
from kapacitrio.replay.errors import Invalid, NotFound, SourceError
from kapacitrio.replay.files import RecordingFileError
from kapacitrio.replay.player import Player, ReplayFailed
from kapacitrio.replay.recorder import Progress

RECORDINGS = "recordings"
REPLAYS = "replays"
BASE = "/kapacitor/v1"
RUNNING, FINISHED, FAILED = "running", "finished", "failed"
SHUTDOWN_ERROR = "unexpected Kapacitor shutdown"

_log = get_logger("replay")


@dataclass
class Job:
    """A running recording or replay."""

    scope: trio.CancelScope = field(default_factory=trio.CancelScope)
    progress: Progress = field(default_factory=Progress)
    player: Player | None = None
    deleted: bool = False


class JobHost:
    """The state shared by recording and replay requests: store, directory, clock, jobs, lock."""

    def __init__(self, services: Any, directory: Path, clock: Any) -> None:
        self.services = services
        self.store = services.store
        self.dir = Path(directory)
        self.clock = clock
        self._jobs: dict[tuple[str, str], Job] = {}
        self._nursery: trio.Nursery | None = None
        self._lock = trio.Lock()

    def _now_text(self) -> str:
        return format_rfc3339(self.clock.now())

    # -- start-up
    async def _mark_failed(self) -> None:
        for kind in (RECORDINGS, REPLAYS):
            for doc in await self.store.list(kind, match={"status": RUNNING}):
                doc.update(status=FAILED, error=SHUTDOWN_ERROR, progress=1.0)
                await self.store.put(kind, doc["id"], doc)

    # -- jobs
    def _spawn(
        self, kind: str, doc: dict[str, Any], work: Callable[[Job], Awaitable[dict[str, Any]]]
    ) -> Job:
        if self._nursery is None:
            raise Invalid("the replay service is not running")
        job = Job()
        self._jobs[(kind, doc["id"])] = job
        self._nursery.start_soon(self._run_job, kind, doc, job, work)
        return job

    async def _run_job(
        self,
        kind: str,
        doc: dict[str, Any],
        job: Job,
        work: Callable[[Job], Awaitable[dict[str, Any]]],
    ) -> None:
        result: dict[str, Any] = {}
        error = ""
        with job.scope:
            try:
                result = await work(job)
            except Exception as exc:
                error = self._reason(doc["id"], exc)
        with trio.CancelScope(shield=True):
            async with self._lock:  # a delete either comes before this, or finds the final doc
                if self._jobs.get((kind, doc["id"])) is job:
                    del self._jobs[(kind, doc["id"])]
                if not job.deleted:
                    await self._store_result(kind, doc, job, result, error)
            if job.deleted and kind == RECORDINGS and doc.get("file"):
                # a file the job made after the delete removed it goes too
                await trio.to_thread.run_sync(remove, self.dir / doc["file"])

    async def _store_result(
        self, kind: str, doc: dict[str, Any], job: Job, result: dict[str, Any], error: str
    ) -> None:
        if job.scope.cancelled_caught and not error:
            error = "cancelled"
        doc.update(result)
        doc.update(
            status=FAILED if error else FINISHED,
            error=error,
            progress=1.0,
            date=self._now_text(),
        )
        if error and kind == REPLAYS:
            doc["stats"] = {}
        await self.store.put(kind, doc["id"], doc)

    @staticmethod
    def _reason(ident: str, exc: BaseException) -> str:
        """The `error` text for a failed job (a lone exception in a group stands for it)."""
        while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
            exc = exc.exceptions[0]
        if isinstance(exc, SourceError | ReplayFailed | RecordingFileError | Invalid | NotFound):
            return str(exc)
        if isinstance(exc, OSError):
            return str(exc.strerror or exc)
        _log.error("recording or replay failed", id=ident, exc_info=exc)
        return f"{type(exc).__name__}: {exc}"

    async def _sorted(self, kind: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Newest first, then paged."""
        docs = await self.store.list(kind, pattern=params["pattern"])
        docs.sort(key=lambda d: (d.get("date", ""), d["id"]), reverse=True)
        offset, limit = params["offset"], params["limit"]
        return docs[offset : offset + max(limit, 0)]

    async def _task(self, task_id: str, prefix: str = "") -> dict[str, Any]:
        doc = await self.store.get("tasks", task_id) if task_id else None
        if doc is None:
            raise NotFound(f"{prefix}no task exists")
        return doc

    def _pipeline(self, task: dict[str, Any]) -> Any:
        from kapacitrio.tasks.compileopts import compile_options
        from kapacitrio.tasks.compiling import compile_doc
        from kapacitrio.tick.errors import TickError

        opts = compile_options(self.services)
        try:
            return compile_doc(task["script"], task["type"], task.get("vars") or {}, **opts)
        except TickError as exc:
            raise Invalid(f"invalid TICKscript: {exc}") from None


def remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
