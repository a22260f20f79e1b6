"""Membership by heartbeats in a KV bucket with a TTL, and task placement by rendezvous hashing.

Every member puts its record (name, API URL, wall time, the tasks it runs) into the members bucket
every `heartbeat`; the bucket's TTL is the `lease`. A member is live while its last record is
younger than the lease. Each task belongs to the live member with the highest hash of
(member, task): every member computes the same owner from the same live set, and when a member
dies only its tasks move. A member that could not renew its own record for a lease minus a
heartbeat fences itself: it stops its tasks, since the others already count it as gone.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from typing import Any

import trio

from kapacitrio.logs import get_logger

_log = get_logger("cluster")


def score(member: str, task_id: str) -> int:
    """The rendezvous weight of (member, task)."""
    digest = hashlib.blake2b(f"{member}\x00{task_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def owner_of(task_id: str, members: Iterable[str]) -> str | None:
    """The member that runs `task_id` among `members` (None when there is none)."""
    best: tuple[int, str] | None = None
    for m in members:
        s = (score(m, task_id), m)
        if best is None or s > best:
            best = s
    return None if best is None else best[1]


class Members:
    """This member's heartbeat and the live set; start with `await nursery.start(members.run)`."""

    def __init__(self, link: Any, name: str, url: str, heartbeat: float, lease: float) -> None:
        self.link = link
        self.name = name
        self.url = url
        self.heartbeat = heartbeat
        self.lease = lease
        self.started_ns = time.time_ns()
        #: Live members' records by name (this member's own included while it is not fenced).
        self.live: dict[str, dict[str, Any]] = {}
        #: Filled by the placement: what this member runs, for the others to show.
        self.running: list[str] = []
        self.extra: dict[str, Any] = {}
        self._last_ok = -float("inf")
        self._joined = -float("inf")
        self._left = False
        self._put_lock = trio.Lock()  # a renewal never lands after the record was deleted
        self.changed = trio.Event()

    # -- views
    @property
    def fenced(self) -> bool:
        """True while this member cannot prove it is live (its tasks must not run)."""
        return trio.current_time() - self._last_ok > self.lease - self.heartbeat

    @property
    def settled(self) -> bool:
        """True once this member has been live long enough for every other to have seen it."""
        return trio.current_time() - self._joined >= 2 * self.heartbeat

    def _now_live(self) -> list[str]:
        """The live names; never this member while it is fenced (even between two beats)."""
        fenced = self.fenced
        return [n for n in self.live if not (fenced and n == self.name)]

    def names(self) -> list[str]:
        return sorted(self._now_live())

    def owner(self, task_id: str) -> str | None:
        return owner_of(task_id, self._now_live())

    def url_of(self, member: str) -> str | None:
        rec = self.live.get(member)
        return None if rec is None else rec.get("url")

    # -- running
    async def leave(self) -> None:
        """Stop renewing and delete this member's record: the others take over at once."""
        self._left = True
        with trio.CancelScope(shield=True), trio.move_on_after(3):
            async with self._put_lock:
                try:
                    await self.link.kv_delete(self.link.names.members, self.name)
                except Exception:
                    pass

    async def run(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        started = False
        try:
            while not self._left:
                await self._beat()
                if not started:
                    started = True
                    task_status.started(self)
                await trio.sleep(self.heartbeat)
            if not started:  # it left before its first beat
                task_status.started(self)
            await trio.sleep_forever()
        finally:
            if not self._left:  # leave at once rather than after a lease
                await self.leave()

    def _record(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "url": self.url,
            "ts": time.time_ns(),
            "started": self.started_ns,
            "tasks": sorted(self.running),
            **self.extra,
        }

    async def _beat(self) -> None:
        bucket = self.link.names.members
        now = trio.current_time()
        try:
            with trio.fail_after(max(self.heartbeat, self.lease / 2)):
                async with self._put_lock:
                    if self._left:
                        return
                    record = json.dumps(self._record()).encode()
                    await self.link.kv_put(bucket, self.name, record)
            if self.fenced:  # counted from now: the others see the record from now on
                self._joined = trio.current_time()
                _log.info("cluster member live", member=self.name)
            self._last_ok = now
        except (trio.TooSlowError, *self.link.errors) as exc:
            _log.warning("cannot renew membership", member=self.name, err=repr(exc))
        try:
            with trio.fail_after(max(self.heartbeat, self.lease / 2)):
                items = await self.link.kv_items(bucket)
        except (trio.TooSlowError, *self.link.errors) as exc:
            _log.warning("cannot read the members", err=repr(exc))
            items = None
        live: dict[str, dict[str, Any]] = {}
        if items is not None:
            wall = time.time_ns()
            for name, raw in items.items():
                try:
                    rec = json.loads(raw)
                except ValueError:
                    continue
                if name == self.name:
                    continue
                if wall - int(rec.get("ts", 0)) < self.lease * 1e9:
                    live[name] = rec
        else:  # no news is not bad news: keep the view (fencing covers a real cut)
            live = {n: r for n, r in self.live.items() if n != self.name}
        if not self.fenced:
            live[self.name] = self._record()
        if set(live) != set(self.live):
            _log.info("cluster members", members=",".join(sorted(live)))
            self.live = live
            self.changed.set()
            self.changed = trio.Event()
        else:
            self.live = live
