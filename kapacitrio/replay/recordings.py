"""Recording requests: stream, batch and query recordings, their views, listing and deletion."""

from __future__ import annotations

import os
from typing import Any

import trio

from kapacitrio.models.timefmt import format_rfc3339
from kapacitrio.replay import options as o
from kapacitrio.replay.errors import Invalid, NotFound
from kapacitrio.replay.files import BATCH_EXT, STREAM_EXT
from kapacitrio.replay.jobs import BASE, FINISHED, RECORDINGS, RUNNING, Job, JobHost, remove
from kapacitrio.replay.recorder import record_batch, record_query, record_stream
from kapacitrio.tick.values import go_quote

RECORDING_FIELDS = ["link", "id", "type", "size", "date", "error", "status", "progress"]


def recording_link(rid: str) -> dict[str, str]:
    return {"rel": "self", "href": f"{BASE}/recordings/{rid}"}


class RecordingRequests(JobHost):
    """`/recordings` requests (mixed into `ReplayService`)."""

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
            await trio.to_thread.run_sync(remove, path)

    # -- recordings: starting
    async def _new_recording(self, rid: str, typ: str) -> dict[str, Any]:
        if await self.store.get(RECORDINGS, rid) is not None:
            raise Invalid(f"recording {rid} already exists")
        doc = self._recording_doc(rid, typ)
        await self.store.put(RECORDINGS, rid, doc)
        return doc

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


def _duration(text: str) -> int:
    from kapacitrio.config import duration_ns

    try:
        ns = duration_ns(text)
    except ValueError:
        raise Invalid(f"invalid duration {go_quote(text)}") from None
    if ns <= 0:
        raise Invalid(f"invalid duration {go_quote(text)}: must be positive")
    return ns
