"""Writes into JetStream by db/rp/measurement, and per-task feeds that resume where they stopped.

A write received by any member is validated, split by measurement and published to
`<prefix>.points.<db>.<rp>.<measurement>` (each token base64url-escaped when needed); the write is
acknowledged once JetStream has stored every part. Lines without a timestamp are stamped here (the
`Kapacitrio-Default-Time` header), so a replay after a move gives them the same time.

Each running task reads through its own durable pull consumer, filtered to the narrowest subject
that covers its `from()` nodes and dbrps. Its position (the stream sequence of the last message
handed to the task at least one checkpoint interval earlier, so the task has processed it) is
saved to the state bucket every `checkpoint-interval` and at a clean stop, once the alert handlers
have delivered every event queued before it, and acknowledged to JetStream; a task that starts
anywhere reads from a fresh consumer just after that position. So a move loses no stored point (nor
its alerts) and replays about two checkpoint intervals of points (more while handlers lag).
A task with node state (`engine.snapshot`: alert groups, windows) is checkpointed otherwise: its
feed holds input back until the task is idle, takes the node snapshots and the position of the last
message handed over together, then saves both (`cluster.statestore`) once the handlers have delivered the
events queued by then (at a clean stop, from before the task drains). A task that starts reads
from just after that position with the snapshots restored, so it goes on as if it had not moved.
Each run of a task has a consumer of its own, so two members that both run a task for a moment
(while their views of the members differ) both see every message: duplicates, never a gap. A
message is parsed once per member, whichever of its tasks read it.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
import time
import zlib
from collections import OrderedDict
from typing import Any

import trio

from kapacitrio.cluster.statestore import StateStore
from kapacitrio.logs import get_logger
from kapacitrio.models.lineprotocol import precision_multiplier
from kapacitrio.models.lpcolumns import parse_chunk

_log = get_logger("cluster")

_RUNS = itertools.count(int(time.time()))
_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")
_MEAS_END = re.compile(r"(?<!\\)[, ]")
HDR_PRECISION = "Kapacitrio-Precision"
#: How many parsed messages a member keeps for its other tasks reading the same ones.
PARSED_CACHE = 64
#: Largest message published (NATS refuses more than its max_payload, 1 MB by default).
MAX_MESSAGE = 512 * 1024
HDR_DEFAULT_TIME = "Kapacitrio-Default-Time"
#: Checkpoints a task keeps waiting for its handlers to deliver their events (see `_candidate`).
MAX_PENDING_CHECKPOINTS = 8


def token(text: str) -> str:
    """A subject token for a db, rp or measurement: itself when safe, else `~` + base64url."""
    if _SAFE.match(text):
        return text
    return "~" + base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def untoken(tok: str) -> str:
    if not tok.startswith("~"):
        return tok
    raw = tok[1:]
    return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()


def measurement_of(line: str) -> str:
    """The measurement of one line of line protocol (escapes kept, as the parser names it)."""
    m = _MEAS_END.search(line)
    name = line if m is None else line[: m.start()]
    return name.replace("\\,", ",").replace("\\ ", " ")


def split_body(text: str) -> dict[str, list[str]]:
    """The lines of a body grouped by measurement, in order (comments and blank lines dropped)."""
    groups: dict[str, list[str]] = {}
    for raw in text.split("\n"):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        groups.setdefault(measurement_of(line), []).append(line)
    return groups


def _payloads(lines: list[str]) -> list[bytes]:
    """The lines joined into messages of at most about MAX_MESSAGE bytes each."""
    out: list[bytes] = []
    part: list[str] = []
    size = 0
    for line in lines:
        n = len(line.encode()) + 1
        if part and size + n > MAX_MESSAGE:
            out.append("\n".join(part).encode())
            part, size = [], 0
        part.append(line)
        size += n
    if part:
        out.append("\n".join(part).encode())
    return out


def consumer_name(task_id: str) -> str:
    return "task_" + hashlib.blake2b(task_id.encode(), digest_size=10).hexdigest()


def run_consumer_name(task_id: str, member: str, run: int) -> str:
    """The durable consumer of one run of a task on one member: never shared, so two members
    that both believe they own a task for a moment each see every message (duplicates, no loss)."""
    mine = hashlib.blake2b(f"{member}\x00{run}".encode(), digest_size=6).hexdigest()
    return f"{consumer_name(task_id)}_{mine}"


def filter_subject(base: str, dbrps: list[tuple[str, str]], measurements: set[str]) -> str:
    """The narrowest subject covering a task's dbrps and measurements (`""` is every one)."""
    if len(dbrps) != 1:
        return f"{base}.>"
    db, rp = dbrps[0]
    db_t = token(db) if db else "*"
    rp_t = token(rp) if rp else "*"
    if len(measurements) == 1 and "" not in measurements:
        return f"{base}.{db_t}.{rp_t}.{token(next(iter(measurements)))}"
    return f"{base}.{db_t}.{rp_t}.*"


class Ingest:
    """Publishes writes; `feed` runs one task's consumer."""

    def __init__(
        self, link: Any, clock_ns: Any, checkpoint: float, poll: float, member: str = ""
    ) -> None:
        self.link = link
        self.member = member
        self.clock_ns = clock_ns
        self.checkpoint = checkpoint
        self.poll = poll
        self.published = 0
        self._parsed: OrderedDict[int, Any] = OrderedDict()
        self.states = StateStore(link)

    async def publish(
        self, db: str, rp: str, precision: str, body: bytes, tally: dict[str, int] | None = None
    ) -> int:
        """Validate and publish one write; returns the number of lines stored in JetStream.
        `tally` gets the body's points per measurement (ingress statistics)."""
        mult = precision_multiplier(precision)
        now = self.clock_ns()
        default_time = now - now % mult
        # raises on bad lines
        parse_chunk(body, mult, default_time, db, rp, lambda _name: False, tally=tally)
        text = body.decode("utf-8", "replace")
        base = self.link.names.points_subject
        headers = {HDR_PRECISION: precision, HDR_DEFAULT_TIME: str(default_time)}
        messages = [
            (f"{base}.{token(db)}.{token(rp)}.{token(meas)}", payload, headers)
            for meas, lines in split_body(text).items()
            for payload in _payloads(lines)
        ]
        if not messages:
            return 0
        await self.link.publish_all(messages)
        n = sum(len(m[1].splitlines()) for m in messages)
        self.published += n
        return n

    # -- per-task feeds
    def chunk(self, seq: int, msg: Any, db: str, rp: str) -> Any:
        """The parsed points of one stored message, parsed once for every local task that reads
        it (a chunk is never changed once handed to a task); None when it does not parse."""
        from kapacitrio.models.lineprotocol import LineProtocolError

        cached = self._parsed.get(seq)
        if cached is not None:
            return cached
        hdr = msg.headers or {}
        try:
            mult = precision_multiplier(hdr.get(HDR_PRECISION, "n"))
            chunk = parse_chunk(msg.data, mult, int(hdr.get(HDR_DEFAULT_TIME, "0")), db, rp)
        except (LineProtocolError, ValueError) as exc:
            _log.error("stored write does not parse", seq=seq, err=str(exc))
            return None
        self._parsed[seq] = chunk
        while len(self._parsed) > PARSED_CACHE:
            self._parsed.popitem(last=False)
        return chunk

    def _pos_key(self, task_id: str) -> str:
        return "pos." + consumer_name(task_id)

    async def position(self, task_id: str) -> int:
        return int((await self.checkpoint_of(task_id))["seq"])

    async def checkpoint_of(self, task_id: str) -> dict[str, Any]:
        """A task's last checkpoint: `seq`, and `nodes` (node snapshots) when it has state."""
        return await self.states.load(self._pos_key(task_id))

    async def save_checkpoint(self, task_id: str, seq: int, nodes: dict[str, Any] | None) -> None:
        """Store a task's position with its node snapshots, if any (raises the link's errors)."""
        doc: dict[str, Any] = {"seq": seq, "task": task_id}
        if nodes:
            doc["nodes"] = nodes
        await self.states.save(self._pos_key(task_id), doc)

    async def forget(self, task_id: str) -> None:
        try:
            await self.states.delete(self._pos_key(task_id))
        except self.link.errors:
            pass


class Feed:
    """One task's consumer: fetch, hand to the task, checkpoint. Run with `nursery.start(feed.run)`."""

    def __init__(
        self,
        ingest: Ingest,
        tm: Any,
        task_id: str,
        dbrps: list[tuple[str, str]],
        measurements: set[str],
        start_ns: int,
    ) -> None:
        self.ingest = ingest
        self.link = ingest.link
        self.tm = tm
        self.task_id = task_id
        self.dbrps = dbrps
        self.subject = filter_subject(self.link.names.points_subject, dbrps, measurements)
        self.durable = run_consumer_name(task_id, ingest.member, next(_RUNS))
        self.start_ns = start_ns
        self.handed = 0  # stream sequence of the last message handed to the task
        self.saved = 0
        self.points = 0
        self._last_msg: Any = None
        self._resumed = False
        #: Held while a fetched batch is handed to the task, and while its state is snapshotted,
        #: so a snapshot matches `handed` exactly.
        self._writing = trio.Lock()
        self._torn = False  # a hand-over was cancelled half-way: the task's state is past `handed`
        self._final: tuple[int, Any, dict[str, Any]] | None = None
        self._stateless: bool | None = None  # known at a clean stop
        self.restored = 0  # nodes that took a snapshot at the start
        #: Checkpoints taken but not saved yet: (position, message, node snapshots, delivery
        #: marks of the handlers), oldest first (see `_candidate`).
        self._pending: list[tuple[int, Any, dict[str, Any] | None, list[Any]]] = []
        #: The alert service, whose handler queues a checkpoint waits for.
        self.alerts: Any = None

    def _wants(self, db: str, rp: str) -> bool:
        return any((not d or d == db) and (not r or r == rp) for d, r in self.dbrps)

    async def run(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        """Consume until cancelled (then the caller stops the task and calls `final_checkpoint`)."""
        if not self._resumed:  # a retry after an error goes on from what it handed over
            ck = await self.ingest.checkpoint_of(self.task_id)
            self.saved = self.handed = int(ck["seq"])
            if ck.get("nodes"):  # before the first point reaches the task
                self.restored = self.tm.restore_task(self.task_id, ck["nodes"])
            self._resumed = True
        sub = await self.link.pull_consumer(
            self.durable,
            self.subject,
            start_seq=self.handed + 1 if self.handed else 0,
            start_ns=0 if self.handed else self.start_ns,
        )
        _log.info("task feed started", task=self.task_id, subject=self.subject, after=self.handed)
        task_status.started()
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._checkpoints)
                await self._consume(sub)
        finally:
            await self.link.unsubscribe(sub)
            await self.link.drop_consumer(self.durable)

    async def _consume(self, sub: Any) -> None:
        base_len = len(self.link.names.points_subject.split("."))
        while True:
            try:
                msgs = await self.link.fetch(sub, 256, self.ingest.poll)
            except self.link.errors as exc:
                _log.debug("fetch failed", task=self.task_id, err=repr(exc))
                await trio.sleep(self.ingest.poll)
                continue
            if not msgs:
                continue
            async with self._writing:
                for msg in msgs:
                    seq = msg.metadata.sequence.stream
                    if seq <= self.handed:
                        continue  # a redelivery of something already handed over
                    parts = msg.subject.split(".")[base_len:]
                    if len(parts) == 3:
                        db, rp, meas = (untoken(p) for p in parts)
                        if self._wants(db, rp) and self.tm.wants(self.task_id, db, rp, meas):
                            chunk = self.ingest.chunk(seq, msg, db, rp)
                            if chunk is not None:
                                self._torn = True
                                self.points += await self.tm.write_task(self.task_id, chunk)
                                self._torn = False
                    self.handed = seq
                    self._last_msg = msg

    def _quiesce_timeout(self) -> float:
        return max(1.0, 2 * self.ingest.checkpoint)

    async def _snapshot(self) -> tuple[int, Any, dict[str, Any]] | None:
        """(position, its message, node snapshots) at one point of the stream, with input held
        back until the task is idle; None if it does not become idle in time."""
        async with self._writing:
            if self._torn:
                return None
            nodes = await self.tm.snapshot_task(self.task_id, self._quiesce_timeout())
            return None if nodes is None else (self.handed, self._last_msg, nodes)

    def _phase(self) -> float:
        """Where in the interval this task checkpoints: spread by its id, so a member's tasks
        (all started together) do not take and encode their state in one burst."""
        return self.ingest.checkpoint * (zlib.crc32(self.task_id.encode()) % 1000) / 1000

    async def _checkpoints(self) -> None:
        await trio.sleep(self._phase())
        if self.tm.stateful(self.task_id):
            await self._stateful_checkpoints()
        ready, ready_msg = self.handed, self._last_msg
        while True:
            await trio.sleep(self.ingest.checkpoint)
            # What was handed over one interval ago has gone through the task by now: it is a
            # candidate, done for good once the handlers have delivered what they had by now.
            if ready > self.saved:
                self._candidate(ready, ready_msg, None)
            await self._save_delivered()
            ready, ready_msg = self.handed, self._last_msg

    async def _stateful_checkpoints(self) -> None:
        """A task with node state: position and state are taken together, at an idle moment,
        and saved once the handlers have delivered the events queued by then."""
        while True:
            await trio.sleep(self.ingest.checkpoint)
            newest = self._pending[-1][0] if self._pending else self.saved
            if self.handed > newest and len(self._pending) < MAX_PENDING_CHECKPOINTS:
                snap = await self._snapshot()
                if snap is None:
                    _log.debug("task not idle; checkpoint skipped", task=self.task_id)
                else:
                    self._candidate(*snap)
            await self._save_delivered()

    def _candidate(self, seq: int, msg: Any, nodes: dict[str, Any] | None) -> None:
        """A checkpoint that holds once the events queued so far are delivered. Candidates
        wait in order while handlers lag (a bounded number), so a handler that never catches
        up still lets the checkpoint advance as far as it has delivered."""
        marks = self.alerts.delivery_marks(self.task_id) if self.alerts is not None else []
        self._pending.append((seq, msg, nodes, marks))
        if len(self._pending) > MAX_PENDING_CHECKPOINTS:  # keep the oldest, which lands first
            del self._pending[-2]

    async def _save_delivered(self) -> None:
        """Save the newest candidate whose events are all delivered; drop the ones before it."""
        ready = None
        while self._pending and delivered(self._pending[0][3]):
            ready = self._pending.pop(0)
        if ready is not None:
            await self._save(*ready[:3])

    async def handlers_caught_up(self, timeout: float | None) -> bool:
        """Wait until the alert handlers this task's events go to have finished every event
        queued so far (its anonymous topics and every topic with handlers); False on timeout."""
        alerts = self.alerts
        if alerts is None:
            return True
        marks = alerts.delivery_marks(self.task_id)
        with trio.move_on_after(timeout if timeout is not None else float("inf")):
            while not delivered(marks):
                await trio.sleep(0.01)
            return True
        return False

    async def _save(self, seq: int, msg: Any, nodes: dict[str, Any] | None = None) -> None:
        if seq <= self.saved:
            return
        try:
            await self.ingest.save_checkpoint(self.task_id, seq, nodes)
            self.saved = seq
            if msg is not None:
                await self.link.ack(msg)
        except self.link.errors as exc:
            _log.warning("checkpoint failed", task=self.task_id, err=repr(exc))

    async def snapshot_before_stop(self) -> None:
        """At a clean stop, once the feed ended and before the task drains: the state to save
        with the final position (a hand-over cut half-way leaves the last checkpoint as it is)."""
        self._stateless = not self.tm.stateful(self.task_id)
        if self._stateless:
            return
        with trio.CancelScope(shield=True):
            self._final = await self._snapshot()

    async def final_checkpoint(self) -> None:
        """After the task drained at a clean stop: everything handed over is processed, and once
        its alerts are delivered nothing needs replaying (else the last checkpoint stays)."""
        with trio.CancelScope(shield=True), trio.move_on_after(5):
            if await self.handlers_caught_up(3.0):
                if self._final is not None:
                    await self._save(*self._final)
                    return
                if self._stateless is not False:
                    await self._save(self.handed, self._last_msg)
                    return
            await self._save_delivered()  # at least as far as the handlers got


def delivered(marks: list[Any]) -> bool:
    """Whether every handler runner has finished the events it had accepted at its mark."""
    return not any(r.finished < n and r.pending and not r.done.is_set() for r, n in marks)
