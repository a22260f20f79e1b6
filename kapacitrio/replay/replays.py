"""Replay requests: replaying recordings, batch ranges and queries against a task's private copy."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import trio

from kapacitrio.logs import get_logger
from kapacitrio.replay import options as o
from kapacitrio.replay.errors import Invalid, NotFound
from kapacitrio.replay.files import StreamReader
from kapacitrio.replay.jobs import BASE, FINISHED, RECORDINGS, REPLAYS, RUNNING, Job, JobHost
from kapacitrio.replay.player import MemoryBlocks, Player

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


def replay_link(rid: str) -> dict[str, str]:
    return {"rel": "self", "href": f"{BASE}/replays/{rid}"}


class ReplayRequests(JobHost):
    """`/replays` requests and the replay-id task view (mixed into `ReplayService`)."""

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

    def _player(self, task: dict[str, Any], clock: str, rec_time: bool, rid: str) -> Player:
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
            replay_id=rid,
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
        player = self._player(task, clock, rec_time, rid)
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
