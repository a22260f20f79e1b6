"""Per-key locks for the task service: changes to different tasks never wait for each other."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

import trio


class KeyedLock:
    """A lock per key (`task:ID`, `template:ID`), made on first use and dropped when unused.

    `hold(keys)` takes every key of a change at once, always in sorted order, so two changes that
    share keys queue up and changes that share none (a slow stop of task A, a PATCH of task B)
    run side by side without any deadlock.
    """

    def __init__(self) -> None:
        self._locks: dict[str, trio.Lock] = {}
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, keys: Iterable[str]) -> AsyncIterator[None]:
        ordered = sorted(set(keys))
        for key in ordered:
            self._users[key] = self._users.get(key, 0) + 1
            self._locks.setdefault(key, trio.Lock())
        taken: list[trio.Lock] = []
        try:
            for key in ordered:
                lock = self._locks[key]
                await lock.acquire()
                taken.append(lock)
            yield
        finally:
            for lock in reversed(taken):
                lock.release()
            for key in ordered:
                self._users[key] -= 1
                if not self._users[key]:
                    del self._users[key], self._locks[key]

    def busy(self) -> list[str]:
        """Keys held or waited for right now (diagnostics and tests)."""
        return sorted(self._users)
