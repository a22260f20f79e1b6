"""The recording and replay service (`services.replay`): requests, background jobs, stored state.

Recordings' and replays' metadata are documents in the store (kinds `recordings`, `replays`);
payloads are files in the replay directory (`replay.files`). Each recording or replay runs as a
job in the service's nursery; deleting it cancels the job. At start, jobs the previous run left
`running` are marked failed, and payload files without metadata are adopted as finished
recordings.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trio

from kapacitrio.logs import get_logger
from kapacitrio.models.timefmt import format_rfc3339
from kapacitrio.replay import options as o
from kapacitrio.replay.errors import Invalid, NotFound, SourceError
from kapacitrio.replay.files import BATCH_EXT, STREAM_EXT, RecordingFileError, StreamReader
from kapacitrio.replay.player import MemoryBlocks, Player, ReplayFailed
from kapacitrio.replay.recorder import Progress, record_batch, record_query, record_stream
from kapacitrio.tick.values import go_quote

RECORDINGS = "recordings"
REPLAYS = "replays"
BASE = "/kapacitor/v1"
RUNNING, FINISHED, FAILED = "running", "finished", "failed"
SHUTDOWN_ERROR = "unexpected Kapacitor shutdown"

RECORDING_FIELDS = ["link", "id", "type", "size", "date", "error", "status", "progress"]
REPLAY_FIELDS = [
    "link",
    "id",
    "task",
    "recording",
    "recording-time",
    "clock",
    "date",
    "error",
    "status",
    "progress",
]

_log = get_logger("replay")


@dataclass
class Job:
    """A running recording or replay."""

    scope: trio.CancelScope = field(default_factory=trio.CancelScope)
    progress: Progress = field(default_factory=Progress)
    player: Player | None = None
    deleted: bool = False


def recording_link(rid: str) -> dict[str, str]:
    return {"rel": "self", "href": f"{BASE}/recordings/{rid}"}


def replay_link(rid: str) -> dict[str, str]:
    return {"rel": "self", "href": f"{BASE}/replays/{rid}"}


class ReplayService:
    """Recordings and replays; start it with `nursery.start(svc.run)`."""

    def __init__(self, services: Any, directory: Path, clock: Any) -> None:
        self.services = services
        self.store = services.store
        self.dir = Path(directory)
        self.clock = clock
        self._jobs: dict[tuple[str, str], Job] = {}
        self._nursery: trio.Nursery | None = None
        self._lock = trio.Lock()

    async def run(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        await trio.to_thread.run_sync(lambda: self.dir.mkdir(parents=True, exist_ok=True))
        await self._adopt_files()
        await self._mark_failed()
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            task_status.started(self)
            await trio.sleep_forever()

    def _now_text(self) -> str:
        return format_rfc3339(self.clock.now())

    # -- start-up
    async def _mark_failed(self) -> None:
        for kind in (RECORDINGS, REPLAYS):
            for doc in await self.store.list(kind, match={"status": RUNNING}):
                doc.update(status=FAILED, error=SHUTDOWN_ERROR, progress=1.0)
                await self.store.put(kind, doc["id"], doc)

    async def _adopt_files(self) -> None:
        """Payload files dropped into the replay directory become finished recordings."""
        names = await trio.to_thread.run_sync(os.listdir, self.dir)
        for name in names:
            rid, ext = os.path.splitext(name)
            if ext not in (STREAM_EXT, BATCH_EXT) or not o.valid_id(rid):
                continue
            if await self.store.get(RECORDINGS, rid) is not None:
                continue
            st = await trio.to_thread.run_sync(os.stat, self.dir / name)
            doc = self._recording_doc(rid, "stream" if ext == STREAM_EXT else "batch")
            doc.update(
                status=FINISHED, progress=1.0, size=st.st_size, date=format_rfc3339(st.st_mtime_ns)
            )
            await self.store.put(RECORDINGS, rid, doc)

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
                await trio.to_thread.run_sync(_remove, self.dir / doc["file"])

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

    # -- recordings: views
    def _recording_doc(self, rid: str, typ: str) -> dict[str, Any]:
        ext = STREAM_EXT if typ == "stream" else BATCH_EXT
        return {
            "id": rid,
            "type": typ,
            "size": 0,
            "date": self._now_text(),
            "error": "",
            "status": RUNNING,
            "progress": 0.0,
            "file": rid + ext,
        }

    def recording_view(self, doc: dict[str, Any], fields: list[str] | None = None) -> dict:
        job = self._jobs.get((RECORDINGS, doc["id"]))
        values = {
            "link": recording_link(doc["id"]),
            "id": doc["id"],
            "type": doc["type"],
            "size": self._size(doc) if job is not None else doc.get("size", 0),
            "date": doc["date"],
            "error": doc.get("error", ""),
            "status": doc["status"],
            "progress": job.progress.get() if job is not None else doc.get("progress", 0.0),
        }
        return {f: values[f] for f in (fields or RECORDING_FIELDS)}

    def _size(self, doc: dict[str, Any]) -> int:
        try:
            return (self.dir / doc["file"]).stat().st_size
        except OSError:
            return 0

    async def _recording(self, rid: str) -> dict[str, Any]:
        doc = await self.store.get(RECORDINGS, rid) if rid else None
        if doc is None:
            raise NotFound("error finding recording: no recording exists")
        return doc

    async def get_recording(self, rid: str) -> tuple[dict[str, Any], bool]:
        """(view, still running)."""
        doc = await self._recording(rid)
        return self.recording_view(doc), doc["status"] == RUNNING

    async def list_recordings(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        docs = await self._sorted(RECORDINGS, params)
        return [self.recording_view(d, params["fields"]) for d in docs]

    async def _sorted(self, kind: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Newest first, then paged."""
        docs = await self.store.list(kind, pattern=params["pattern"])
        docs.sort(key=lambda d: (d.get("date", ""), d["id"]), reverse=True)
        offset, limit = params["offset"], params["limit"]
        return docs[offset : offset + max(limit, 0)]

    async def delete_recording(self, rid: str) -> None:
        """Delete a recording and its file (cancelling it if it runs); unknown ids are fine."""
        async with self._lock:
            doc = await self.store.get(RECORDINGS, rid) if rid else None
            if doc is None:
                return
            job = self._jobs.pop((RECORDINGS, rid), None)
            if job is not None:
                job.deleted = True
                job.scope.cancel()
            await self.store.delete(RECORDINGS, rid)
        path = self.dir / doc.get("file", "")
        if doc.get("file"):
            await trio.to_thread.run_sync(_remove, path)

    # -- recordings: starting
    async def _new_recording(self, rid: str, typ: str) -> dict[str, Any]:
        if await self.store.get(RECORDINGS, rid) is not None:
            raise Invalid(f"recording {rid} already exists")
        doc = self._recording_doc(rid, typ)
        await self.store.put(RECORDINGS, rid, doc)
        return doc

    async def _task(self, task_id: str, prefix: str = "") -> dict[str, Any]:
        doc = await self.store.get("tasks", task_id) if task_id else None
        if doc is None:
            raise NotFound(f"{prefix}no task exists")
        return doc

    def _pipeline(self, task: dict[str, Any]) -> Any:
        from kapacitrio.tasks.compileopts import compile_options
        from kapacitrio.tasks.service import compile_doc
        from kapacitrio.tick.errors import TickError

        opts = compile_options(self.services)
        try:
            return compile_doc(task["script"], task["type"], task.get("vars") or {}, **opts)
        except TickError as exc:
            raise Invalid(f"invalid TICKscript: {exc}") from None

    async def record_stream(self, opts: dict[str, Any]) -> dict[str, Any]:
        s = "RecordStreamOptions"
        rid = o.opt_id(opts, "recording", s)
        task_id = o.opt_str(opts, "task", s)
        stop = o.opt_time(opts, "stop", s)
        duration = o.opt_str(opts, "duration", s)
        task = await self._task(task_id)
        if task["type"] != "stream":
            raise Invalid(f"cannot record stream data for batch task {task_id}")
        if stop is None and duration:
            stop = self.clock.now() + _duration(duration)
        if stop is None:
            raise Invalid("must provide stop time")
        pipeline = self._pipeline(task)
        from kapacitrio.engine.taskmaster import _measurements

        dbrps = [(d["db"], d["rp"]) for d in task["dbrps"]]
        measurements = _measurements(pipeline)
        async with self._lock:
            doc = await self._new_recording(rid, "stream")
            path = self.dir / doc["file"]

            async def work(job: Job) -> dict[str, Any]:
                tm = self.services.taskmaster
                await record_stream(tm, self.clock, path, dbrps, measurements, stop, job.progress)
                return {"size": self._size(doc)}

            self._spawn(RECORDINGS, doc, work)
            return self.recording_view(doc)

    async def record_batch(self, opts: dict[str, Any]) -> dict[str, Any]:
        s = "RecordBatchOptions"
        rid = o.opt_id(opts, "recording", s)
        task_id = o.opt_str(opts, "task", s)
        start = o.opt_time(opts, "start", s)
        stop = o.opt_time(opts, "stop", s)
        if start is None:
            raise Invalid("must provide start time")
        now = self.clock.now()
        stop = now if stop is None else stop
        if stop < start:
            raise Invalid("stop time must not be before start time")
        task = await self._task(task_id)
        if task["type"] != "batch":
            raise Invalid(f"cannot record batch data for stream task {task_id}")
        pipeline = self._pipeline(task)
        async with self._lock:
            doc = await self._new_recording(rid, "batch")
            path = self.dir / doc["file"]

            async def work(job: Job) -> dict[str, Any]:
                await record_batch(
                    self.services, task_id, pipeline, path, start, stop, now, job.progress
                )
                return {"size": self._size(doc)}

            self._spawn(RECORDINGS, doc, work)
            return self.recording_view(doc)

    async def record_query(self, opts: dict[str, Any]) -> dict[str, Any]:
        s = "RecordQueryOptions"
        rid = o.opt_id(opts, "recording", s)
        query = o.opt_str(opts, "query", s)
        typ = o.opt_str(opts, "type", s)
        cluster = o.opt_str(opts, "cluster", s)
        if not query:
            raise Invalid("must provide query")
        if typ not in ("stream", "batch"):
            raise Invalid(f"invalid recording type {go_quote(typ)}: must be stream or batch")
        async with self._lock:
            doc = await self._new_recording(rid, typ)
            path = self.dir / doc["file"]

            async def work(job: Job) -> dict[str, Any]:
                await record_query(self.services, path, query, typ, cluster, job.progress)
                return {"size": self._size(doc)}

            self._spawn(RECORDINGS, doc, work)
            return self.recording_view(doc)

    # -- replays: views
    def replay_view(self, doc: dict[str, Any], fields: list[str] | None = None) -> dict:
        job = self._jobs.get((REPLAYS, doc["id"]))
        values = {
            "link": replay_link(doc["id"]),
            "id": doc["id"],
            "task": doc["task"],
            "recording": doc["recording"],
            "recording-time": doc["recording-time"],
            "clock": doc["clock"],
            "date": doc["date"],
            "error": doc.get("error", ""),
            "status": doc["status"],
            "progress": job.progress.get() if job is not None else doc.get("progress", 0.0),
        }
        if fields is None:
            out = {f: values[f] for f in REPLAY_FIELDS}
            out["stats"] = doc.get("stats") or {} if doc["status"] == FINISHED else {}
            return out
        return {f: values[f] for f in fields}

    async def get_replay(self, rid: str) -> tuple[dict[str, Any], bool]:
        doc = await self.store.get(REPLAYS, rid) if rid else None
        if doc is None:
            raise NotFound("could not find replay: no replay exists")
        return self.replay_view(doc), doc["status"] == RUNNING

    async def list_replays(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        docs = await self._sorted(REPLAYS, params)
        return [self.replay_view(d, params["fields"]) for d in docs]

    async def delete_replay(self, rid: str) -> None:
        """Delete a replay, stopping it if it runs; unknown ids are fine."""
        async with self._lock:
            job = self._jobs.pop((REPLAYS, rid), None)
            if job is not None:
                job.deleted = True
                job.scope.cancel()
            if rid:
                await self.store.delete(REPLAYS, rid)

    async def task_for_replay(
        self, replay_id: str, task_id: str, fmt: str = "formatted", view: str = "attributes"
    ) -> dict[str, Any] | None:
        """The task as the running replay's private instance sees it, or None."""
        job = self._jobs.get((REPLAYS, replay_id))
        player = job.player if job is not None else None
        if player is None or player.task_id != task_id or player.task is None:
            return None
        tasks = self.services.tasks
        doc = await tasks.get_task_doc(task_id)
        out = tasks.task_view(doc, None, fmt, view)
        task = player.task
        stats = task.node_stats()
        out["executing"] = task.executing
        out["error"] = task.error
        out["stats"] = {"task-stats": {"throughput": 0.0}, "node-stats": stats}
        try:
            from kapacitrio.pipeline.dot import dot

            pipeline = self._pipeline(doc)  # as defined (the replay silences query schedules)
            out["dot"] = dot(
                task_id, pipeline, stats, labels=view == "labels", edges=task.edge_stats()
            )
        except Exception:  # the picture never fails a read
            _log.warning("rendering a replay's DOT failed", replay=replay_id, exc_info=True)
        return out

    # -- replays: starting
    def _parse_replay(self, opts: dict[str, Any], struct: str) -> tuple[str, str, str, bool]:
        rid = o.opt_id(opts, "replay", struct)
        task_id = o.opt_str(opts, "task", struct)
        clock = o.opt_clock(opts, struct)
        rec_time = o.opt_bool(opts, "recording-time", struct)
        return rid, task_id, clock, rec_time

    async def _new_replay(
        self, rid: str, task_id: str, recording: str, clock: str, rec_time: bool
    ) -> dict[str, Any]:
        if await self.store.get(REPLAYS, rid) is not None:
            raise Invalid(f"replay {rid} already exists")
        doc = {
            "id": rid,
            "task": task_id,
            "recording": recording,
            "recording-time": rec_time,
            "clock": clock,
            "date": self._now_text(),
            "error": "",
            "status": RUNNING,
            "progress": 0.0,
            "stats": {},
        }
        await self.store.put(REPLAYS, rid, doc)
        return doc

    def _player(self, task: dict[str, Any], clock: str, rec_time: bool) -> Player:
        tm = self.services.taskmaster
        return Player(
            task["id"],
            self._pipeline(task),
            [(d["db"], d["rp"]) for d in task["dbrps"]],
            self.services,
            clock=clock,
            recording_time=rec_time,
            now=self.clock.now,
            log_sink=getattr(tm, "log_sink", None),
        )

    async def _start_replay(
        self,
        rid: str,
        task: dict[str, Any],
        recording: str,
        clock: str,
        rec_time: bool,
        play: Callable[[Player, Job], Awaitable[dict[str, Any]]],
    ) -> dict[str, Any]:
        player = self._player(task, clock, rec_time)
        async with self._lock:
            doc = await self._new_replay(rid, task["id"], recording, clock, rec_time)

            async def work(job: Job) -> dict[str, Any]:
                job.player = player
                job.progress.fn = lambda: player.progress
                return {"stats": await play(player, job)}

            self._spawn(REPLAYS, doc, work)
            return self.replay_view(doc)

    async def replay_recording(self, opts: dict[str, Any]) -> dict[str, Any]:
        rid, task_id, clock, rec_time = self._parse_replay(opts, "CreateReplayOptions")
        task = await self._task(task_id, "task load: ")
        rec_id = o.opt_str(opts, "recording", "CreateReplayOptions")
        rec = await self.store.get(RECORDINGS, rec_id) if rec_id else None
        if rec is None:
            raise NotFound("recording not found: no recording exists")
        if rec["type"] != task["type"]:
            raise Invalid(
                f"cannot replay {rec['type']} recording {rec_id} against {task['type']} task "
                f"{task_id}"
            )
        if rec["status"] != FINISHED:
            raise Invalid(f"recording {rec_id} is {rec['status']}, only finished ones replay")
        path = self.dir / rec["file"]

        async def play(player: Player, job: Job) -> dict[str, Any]:
            if rec["type"] == "stream":
                return await player.play_stream(FileBlocks(path))
            from kapacitrio.replay.files import read_batch_sources

            data = await trio.to_thread.run_sync(read_batch_sources, path)
            return await player.play_batches(data)

        return await self._start_replay(rid, task, rec_id, clock, rec_time, play)

    async def replay_batch(self, opts: dict[str, Any]) -> dict[str, Any]:
        s = "ReplayBatchOptions"
        rid, task_id, clock, rec_time = self._parse_replay(opts, s)
        start = o.opt_time(opts, "start", s)
        stop = o.opt_time(opts, "stop", s)
        task = await self._task(task_id, "task load: ")
        if task["type"] == "stream":
            raise Invalid(f"cannot replay batch against stream task: {task_id}")
        if start is None:
            raise Invalid("must provide start time")
        now = self.clock.now()
        stop = now if stop is None else stop
        if stop < start:
            raise Invalid("stop time must not be before start time")
        pipeline = self._pipeline(task)
        from kapacitrio.replay import sources

        async def play(player: Player, job: Job) -> dict[str, Any]:
            plans = sources.plan_batch_queries(task_id, pipeline, start, stop, now)
            data: list[list[Any]] = [[] for _ in plans]
            async for index, _, batches in sources.run_batch_plans(self.services, plans):
                data[index].extend(batches)
            return await player.play_batches(data)

        return await self._start_replay(rid, task, "", clock, rec_time, play)

    async def replay_query(self, opts: dict[str, Any]) -> dict[str, Any]:
        s = "ReplayQueryOptions"
        rid, task_id, clock, rec_time = self._parse_replay(opts, s)
        query = o.opt_str(opts, "query", s)
        cluster = o.opt_str(opts, "cluster", s)
        if not query:
            raise Invalid("must provide query")
        task = await self._task(task_id, "task load: ")
        from kapacitrio.replay import sources

        async def play(player: Player, job: Job) -> dict[str, Any]:
            if task["type"] == "stream":
                points = await sources.query_points(self.services, query, cluster)
                return await player.play_stream(MemoryBlocks(points))
            batches = await sources.query_batches(self.services, query, cluster)
            return await player.play_batches([batches])

        return await self._start_replay(rid, task, "", clock, rec_time, play)


class FileBlocks:
    """A stream recording's points, block by block, read in a worker thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._reader: StreamReader | None = None

    async def next(self) -> tuple[list[Any], float] | None:
        if self._reader is None:
            self._reader = await trio.to_thread.run_sync(StreamReader, self.path)
        block = await trio.to_thread.run_sync(self._reader.read)
        return (block, self._reader.progress) if block else None

    async def aclose(self) -> None:
        if self._reader is not None:
            await trio.to_thread.run_sync(self._reader.close)
            self._reader = None


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def _duration(text: str) -> int:
    from kapacitrio.config import duration_ns

    try:
        ns = duration_ns(text)
    except ValueError:
        raise Invalid(f"invalid duration {go_quote(text)}") from None
    if ns <= 0:
        raise Invalid(f"invalid duration {go_quote(text)}: must be positive")
    return ns


async def start(services: Any, nursery: trio.Nursery) -> None:
    """Server plugin: attach the service as `services.replay`."""
    tm = services.taskmaster
    clock = getattr(tm, "clock", None)
    if clock is None:
        from kapacitrio.engine.clock import WallClock

        clock = WallClock()
    svc = ReplayService(services, services.config.replay_dir, clock)
    await nursery.start(svc.run)
    services.replay = svc
