"""The SQLite document store: JSON documents by (kind, id), used through one worker thread.

Every call runs on one dedicated connection through `trio.to_thread.run_sync` with a
`CapacityLimiter(1)`, so SQLite is only ever touched by one thread at a time and the event loop never
blocks. Each `put`/`delete` is its own transaction; `async with store.transaction() as tx` groups
several changes into one (committed on success, rolled back on any error or cancellation).

    store = await Store.open(path)        # or: async with open_store(path) as store
    await store.put("tasks", "cpu", {...})
    doc = await store.get("tasks", "cpu")  # None when missing
    docs = await store.list("tasks", pattern="cpu*", offset=0, limit=100)
    await store.delete("tasks", "cpu")     # True when something was deleted
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import trio

R = TypeVar("R")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    kind TEXT NOT NULL,
    id   TEXT NOT NULL,
    doc  TEXT NOT NULL,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;
"""


class StoreError(Exception):
    """The database could not be opened or a document could not be stored."""


def _where(
    kind: str, pattern: str | None, match: Mapping[str, Any] | None
) -> tuple[str, list[Any]]:
    clauses, args = ["kind = ?"], [kind]
    if pattern:
        clauses.append("id GLOB ?")
        args.append(pattern)
    for key, value in (match or {}).items():
        clauses.append("json_extract(doc, ?) = ?")
        args.extend([f'$."{key}"', value])
    return " AND ".join(clauses), args


class _Ops:
    """Document operations on a connection; the caller decides about transactions and threads."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def put(self, kind: str, id: str, doc: Any) -> None:
        text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
        self.conn.execute(
            "INSERT INTO documents(kind, id, doc) VALUES (?, ?, ?) "
            "ON CONFLICT(kind, id) DO UPDATE SET doc = excluded.doc",
            (kind, id, text),
        )

    def get(self, kind: str, id: str) -> Any | None:
        row = self.conn.execute(
            "SELECT doc FROM documents WHERE kind = ? AND id = ?", (kind, id)
        ).fetchone()
        return None if row is None else json.loads(row[0])

    def list(
        self,
        kind: str,
        pattern: str | None,
        offset: int,
        limit: int | None,
        match: Mapping[str, Any] | None,
    ) -> list[Any]:
        where, args = _where(kind, pattern, match)
        sql = f"SELECT doc FROM documents WHERE {where} ORDER BY id LIMIT ? OFFSET ?"
        args += [-1 if limit is None else max(limit, 0), max(offset, 0)]
        return [json.loads(r[0]) for r in self.conn.execute(sql, args)]

    def ids(self, kind: str, pattern: str | None) -> list[str]:
        where, args = _where(kind, pattern, None)
        sql = f"SELECT id FROM documents WHERE {where} ORDER BY id"
        return [r[0] for r in self.conn.execute(sql, args)]

    def count(self, kind: str, match: Mapping[str, Any] | None) -> int:
        where, args = _where(kind, None, match)
        return self.conn.execute(f"SELECT count(*) FROM documents WHERE {where}", args).fetchone()[
            0
        ]

    def delete(self, kind: str, id: str) -> bool:
        cur = self.conn.execute("DELETE FROM documents WHERE kind = ? AND id = ?", (kind, id))
        return cur.rowcount > 0

    def delete_kind(self, kind: str) -> int:
        return self.conn.execute("DELETE FROM documents WHERE kind = ?", (kind,)).rowcount

    def kinds(self) -> list[str]:
        return [
            r[0] for r in self.conn.execute("SELECT DISTINCT kind FROM documents ORDER BY kind")
        ]

    def reindex(self) -> None:
        self.conn.execute("REINDEX documents")


class Transaction:
    """The handle of `store.transaction()`: the same calls as the store, all in one transaction."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def put(self, kind: str, id: str, doc: Any) -> None:
        await self._store._call(self._store._ops.put, kind, id, doc)

    async def get(self, kind: str, id: str) -> Any | None:
        return await self._store._call(self._store._ops.get, kind, id)

    async def list(
        self,
        kind: str,
        *,
        pattern: str | None = None,
        offset: int = 0,
        limit: int | None = None,
        match: Mapping[str, Any] | None = None,
    ) -> list[Any]:
        return await self._store._call(self._store._ops.list, kind, pattern, offset, limit, match)

    async def delete(self, kind: str, id: str) -> bool:
        return await self._store._call(self._store._ops.delete, kind, id)


class Store:
    """One SQLite database of JSON documents (WAL, synchronous=NORMAL), safe to share between tasks."""

    def __init__(self, conn: sqlite3.Connection, path: Path, limiter: trio.CapacityLimiter) -> None:
        self.path = path
        self._conn = conn
        self._ops = _Ops(conn)
        self._limiter = limiter
        self._lock = trio.Lock()  # held by a transaction across its awaits
        self._closed = False

    # -- lifecycle
    @classmethod
    async def open(cls, path: str | Path) -> Store:
        """Open (creating if needed) the database at `path`, its directory included."""
        path = Path(path)
        limiter = trio.CapacityLimiter(1)
        conn = await trio.to_thread.run_sync(_connect, path, limiter=limiter)
        return cls(conn, path, limiter)

    async def close(self) -> None:
        """Checkpoint and close the connection; waits for a running transaction to finish."""
        if self._closed:
            return
        with trio.CancelScope(shield=True):
            async with self._lock:
                self._closed = True
                await trio.to_thread.run_sync(self._conn.close, limiter=self._limiter)

    # -- thread plumbing
    async def _call(self, fn: Callable[..., R], *args: Any) -> R:
        if self._closed:
            raise StoreError("the store is closed")
        return await trio.to_thread.run_sync(fn, *args, limiter=self._limiter)

    async def _auto(self, fn: Callable[..., R], *args: Any) -> R:
        """Run one operation in its own transaction."""

        def work() -> R:
            with self._conn:
                return fn(*args)

        async with self._lock:
            return await self._call(work)

    async def _read(self, fn: Callable[..., R], *args: Any) -> R:
        async with self._lock:
            return await self._call(fn, *args)

    # -- documents
    async def put(self, kind: str, id: str, doc: Any) -> None:
        """Store `doc` (anything JSON can encode) under (kind, id), replacing what was there."""
        await self._auto(self._ops.put, kind, id, doc)

    async def put_many(self, kind: str, docs: list[tuple[str, Any]]) -> None:
        """Store several (id, doc) of one kind in one transaction, in one trip to the thread."""

        def work() -> None:
            for id, doc in docs:
                self._ops.put(kind, id, doc)

        await self._auto(work)

    async def get(self, kind: str, id: str) -> Any | None:
        """The document stored under (kind, id), or None."""
        return await self._read(self._ops.get, kind, id)

    async def list(
        self,
        kind: str,
        *,
        pattern: str | None = None,
        offset: int = 0,
        limit: int | None = None,
        match: Mapping[str, Any] | None = None,
    ) -> list[Any]:
        """Documents of one kind in id order; `pattern` is a glob on ids, `match` top-level key equality."""
        return await self._read(self._ops.list, kind, pattern, offset, limit, match)

    async def ids(self, kind: str, pattern: str | None = None) -> list[str]:
        """The ids of one kind, sorted."""
        return await self._read(self._ops.ids, kind, pattern)

    async def count(self, kind: str, match: Mapping[str, Any] | None = None) -> int:
        """How many documents of one kind (optionally matching top-level keys) exist."""
        return await self._read(self._ops.count, kind, match)

    async def delete(self, kind: str, id: str) -> bool:
        """Delete one document; True when it existed."""
        return await self._auto(self._ops.delete, kind, id)

    async def delete_kind(self, kind: str) -> int:
        """Delete every document of one kind; returns how many went."""
        return await self._auto(self._ops.delete_kind, kind)

    async def kinds(self) -> list[str]:
        """Every kind that has at least one document."""
        return await self._read(self._ops.kinds)

    async def reindex(self) -> None:
        """Rebuild the indexes (the API's `rebuild` store action)."""
        await self._read(self._ops.reindex)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Group several changes into one transaction: all are kept, or none on any error.

        Inside the block use only `tx` (calling the store itself from the same task raises
        RuntimeError: the store is held by the transaction). Other tasks wait until it ends.
        """
        async with self._lock:
            await self._call(self._conn.execute, "BEGIN IMMEDIATE")
            try:
                yield Transaction(self)
            except BaseException:
                with trio.CancelScope(shield=True):
                    await trio.to_thread.run_sync(self._conn.rollback, limiter=self._limiter)
                raise
            else:
                with trio.CancelScope(shield=True):
                    await trio.to_thread.run_sync(self._conn.commit, limiter=self._limiter)

    # -- backup
    async def backup(self, dest: str | Path) -> None:
        """Write a consistent copy of the whole database to `dest` with SQLite's online backup."""

        def work() -> None:
            target = sqlite3.connect(str(dest))
            try:
                self._conn.backup(target)
            finally:
                target.close()

        await self._read(work)

    async def backup_bytes(self) -> bytes:
        """A consistent copy of the database as bytes (a complete SQLite file).

        The copy is made into an in-memory database and serialized, so concurrent backups share no
        temporary file and leave nothing behind in the data directory.
        """

        def work() -> bytes:
            target = sqlite3.connect(":memory:")
            try:
                self._conn.backup(target)
                return target.serialize()
            finally:
                target.close()

        return await self._read(work)


def _connect(path: Path) -> sqlite3.Connection:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=5000")
        conn.executescript(_SCHEMA)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"cannot open database {path}: {exc}") from exc
    # isolation_level=None is autocommit; `with conn:` in _auto needs a real BEGIN, so switch
    # to the default deferred mode now the schema exists.
    conn.isolation_level = "DEFERRED"
    return conn


@contextlib.asynccontextmanager
async def open_store(path: str | Path) -> AsyncIterator[Store]:
    """Open the store for the duration of the block and close it after."""
    store = await Store.open(path)
    try:
        yield store
    finally:
        await store.close()
