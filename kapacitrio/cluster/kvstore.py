"""The document store of a cluster member: shared kinds in JetStream KV, the rest in local SQLite.

`ClusterStore` has the interface of `storage.db.Store`. Documents of the shared kinds (tasks,
templates, topic handlers, config overrides, kkok filters and routes, alert event states) live in
a KV bucket, one key per document; every member keeps a cache of them, filled at start and kept
current by `watch` (remote changes reach the cache, then the listeners, within the watcher's
latency: milliseconds). Reads of shared kinds come from the cache; writes go to KV first, then to
the cache, so a member reads its own writes. Other kinds (users, tokens, load marks, ...) stay in
the member's SQLite database.

A transaction keeps SQLite's guarantee for local kinds; its KV changes are applied one by one after
the local commit, so several shared documents changed in one transaction are not atomic.
"""

from __future__ import annotations

import base64
import contextlib
import fnmatch
import json
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import trio

from kapacitrio.logs import get_logger
from kapacitrio.storage.db import Store, StoreError

_log = get_logger("cluster")

#: Listener of shared changes: `fn(kind, id, doc_or_None, remote)`.
Listener = Callable[[str, str, Any, bool], None]


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def _unb64(text: str) -> str:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()


def doc_key(kind: str, doc_id: str) -> str:
    """The KV key of one document (KV keys allow few characters: both parts are base64url)."""
    return f"k{_b64(kind)}.i{_b64(doc_id)}"


def parse_key(key: str) -> tuple[str, str] | None:
    kind, sep, doc_id = key.partition(".")
    if not sep or not kind.startswith("k") or not doc_id.startswith("i"):
        return None
    try:
        return _unb64(kind[1:]), _unb64(doc_id[1:])
    except (ValueError, UnicodeDecodeError):
        return None


class ClusterStore:
    """`Store`'s interface over local SQLite plus shared kinds in KV (see the module docstring)."""

    def __init__(self, local: Store, link: Any, shared: Mapping[str, str]) -> None:
        self.local = local
        self.path = local.path
        self.link = link
        #: kind -> bucket of every shared kind.
        self.shared = dict(shared)
        self._cache: dict[str, dict[str, str]] = {k: {} for k in self.shared}
        self.listeners: list[Listener] = []
        #: The KV revision of this member's last put of a document whose echo the watcher has not
        #: brought back yet: an older entry of that key (the echo of a put we have since deleted or
        #: replaced) is stale, not a peer's change.
        self._own_revision: dict[tuple[str, str], int] = {}

    # -- cache
    async def load(self) -> None:
        """Fill the cache from KV (before anything reads the store)."""
        for bucket in sorted(set(self.shared.values())):
            for key, value in (await self.link.kv_items(bucket)).items():
                parsed = parse_key(key)
                if parsed is not None and parsed[0] in self.shared:
                    self._cache[parsed[0]][parsed[1]] = value.decode()

    def apply_remote(
        self, kind: str, doc_id: str, text: str | None, revision: int | None = None
    ) -> bool:
        """A change seen by a watcher (at a KV `revision`, when known); True when it changed the
        cache (listeners were told)."""
        items = self._cache.get(kind)
        if items is None:
            return False
        own = self._own_revision.get((kind, doc_id))
        if revision is not None and own is not None and revision <= own:
            if revision == own:  # the echo of our last put: nothing older can follow
                del self._own_revision[(kind, doc_id)]
            return False
        if items.get(doc_id) == text:
            return False
        if text is None:
            items.pop(doc_id, None)
        else:
            items[doc_id] = text
        self._notify(kind, doc_id, None if text is None else json.loads(text), True)
        return True

    def cached_ids(self, kind: str) -> set[str]:
        return set(self._cache.get(kind, {}))

    def _notify(self, kind: str, doc_id: str, doc: Any, remote: bool) -> None:
        for listener in list(self.listeners):
            try:
                listener(kind, doc_id, doc, remote)
            except Exception:  # a listener's bug must not fail the write
                _log.exception("store listener failed", kind=kind, id=doc_id)

    # The cache changes before the KV call (and back on failure), so the watcher's echo of our
    # own change finds it already there and is not taken for a peer's.
    async def _kv_put(self, kind: str, doc_id: str, doc: Any) -> None:
        text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
        items = self._cache[kind]
        old = items.get(doc_id)
        items[doc_id] = text
        try:
            revision = await self.link.kv_put(
                self.shared[kind], doc_key(kind, doc_id), text.encode()
            )
        except BaseException as exc:
            self._restore(items, doc_id, old)
            if isinstance(exc, self.link.errors):
                raise StoreError(f"cannot store {kind}/{doc_id} in the cluster: {exc!r}") from exc
            raise
        self._own_revision[(kind, doc_id)] = revision
        self._notify(kind, doc_id, json.loads(text), False)

    async def _kv_delete(self, kind: str, doc_id: str) -> bool:
        items = self._cache[kind]
        old = items.pop(doc_id, None)
        if old is None:
            return False
        try:
            await self.link.kv_delete(self.shared[kind], doc_key(kind, doc_id))
        except BaseException as exc:
            self._restore(items, doc_id, old)
            if isinstance(exc, self.link.errors):
                raise StoreError(f"cannot delete {kind}/{doc_id} in the cluster: {exc!r}") from exc
            raise
        self._notify(kind, doc_id, None, False)
        return True

    @staticmethod
    def _restore(items: dict[str, str], doc_id: str, old: str | None) -> None:
        if old is None:
            items.pop(doc_id, None)
        else:
            items[doc_id] = old

    def _select(
        self, kind: str, pattern: str | None, match: Mapping[str, Any] | None
    ) -> list[tuple[str, Any]]:
        items = self._cache[kind]
        out = []
        for doc_id in sorted(items):
            if pattern and not fnmatch.fnmatchcase(doc_id, pattern):
                continue
            doc = json.loads(items[doc_id])
            if match and not all(
                isinstance(doc, dict) and doc.get(k) == v for k, v in match.items()
            ):
                continue
            out.append((doc_id, doc))
        return out

    # -- the Store interface
    async def close(self) -> None:
        await self.local.close()

    async def put(self, kind: str, id: str, doc: Any) -> None:
        if kind in self.shared:
            await self._kv_put(kind, id, doc)
        else:
            await self.local.put(kind, id, doc)

    async def put_many(self, kind: str, docs: list[tuple[str, Any]]) -> None:
        """Several (id, doc) of one kind: one KV put each for a shared kind, else one transaction."""
        if kind not in self.shared:
            await self.local.put_many(kind, docs)
            return
        for doc_id, doc in docs:
            await self._kv_put(kind, doc_id, doc)

    async def get(self, kind: str, id: str) -> Any | None:
        if kind in self.shared:
            await trio.lowlevel.checkpoint()
            text = self._cache[kind].get(id)
            return None if text is None else json.loads(text)
        return await self.local.get(kind, id)

    async def list(
        self,
        kind: str,
        *,
        pattern: str | None = None,
        offset: int = 0,
        limit: int | None = None,
        match: Mapping[str, Any] | None = None,
    ) -> list[Any]:
        if kind not in self.shared:
            return await self.local.list(
                kind, pattern=pattern, offset=offset, limit=limit, match=match
            )
        await trio.lowlevel.checkpoint()
        docs = [doc for _, doc in self._select(kind, pattern, match)][max(offset, 0) :]
        return docs if limit is None else docs[: max(limit, 0)]

    async def ids(self, kind: str, pattern: str | None = None) -> list[str]:
        if kind not in self.shared:
            return await self.local.ids(kind, pattern)
        await trio.lowlevel.checkpoint()
        return [
            i for i in sorted(self._cache[kind]) if not pattern or fnmatch.fnmatchcase(i, pattern)
        ]

    async def count(self, kind: str, match: Mapping[str, Any] | None = None) -> int:
        if kind not in self.shared:
            return await self.local.count(kind, match)
        await trio.lowlevel.checkpoint()
        return len(self._select(kind, None, match))

    async def delete(self, kind: str, id: str) -> bool:
        if kind in self.shared:
            return await self._kv_delete(kind, id)
        return await self.local.delete(kind, id)

    async def delete_kind(self, kind: str) -> int:
        if kind not in self.shared:
            return await self.local.delete_kind(kind)
        n = 0
        for doc_id in sorted(self._cache[kind]):
            n += await self._kv_delete(kind, doc_id)
        return n

    async def kinds(self) -> list[str]:
        mine = {k for k, items in self._cache.items() if items}
        return sorted(mine | set(await self.local.kinds()))

    async def reindex(self) -> None:
        await self.local.reindex()

    async def backup(self, dest: Any) -> None:
        """A backup of the local database only (the shared kinds are in NATS)."""
        await self.local.backup(dest)

    async def backup_bytes(self) -> bytes:
        return await self.local.backup_bytes()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[_Transaction]:
        """Local kinds in one SQLite transaction; shared changes applied after it commits."""
        async with self.local.transaction() as ltx:
            tx = _Transaction(self, ltx)
            yield tx
        for kind, doc_id, doc in tx.pending:
            if doc is _DELETE:
                await self._kv_delete(kind, doc_id)
            else:
                await self._kv_put(kind, doc_id, doc)


_DELETE = object()


class _Transaction:
    """The handle of `ClusterStore.transaction()`: buffered shared changes, local ones in SQLite."""

    def __init__(self, store: ClusterStore, local: Any) -> None:
        self._store = store
        self._local = local
        self.pending: list[tuple[str, str, Any]] = []

    def _buffered(self, kind: str, doc_id: str) -> tuple[bool, Any]:
        for k, i, doc in reversed(self.pending):
            if k == kind and i == doc_id:
                return True, None if doc is _DELETE else doc
        return False, None

    async def put(self, kind: str, id: str, doc: Any) -> None:
        if kind in self._store.shared:
            self.pending.append((kind, id, json.loads(json.dumps(doc))))
        else:
            await self._local.put(kind, id, doc)

    async def get(self, kind: str, id: str) -> Any | None:
        if kind in self._store.shared:
            found, doc = self._buffered(kind, id)
            if found:
                return doc
            text = self._store._cache[kind].get(id)
            return None if text is None else json.loads(text)
        return await self._local.get(kind, id)

    async def list(
        self,
        kind: str,
        *,
        pattern: str | None = None,
        offset: int = 0,
        limit: int | None = None,
        match: Mapping[str, Any] | None = None,
    ) -> list[Any]:
        if kind not in self._store.shared:
            return await self._local.list(
                kind, pattern=pattern, offset=offset, limit=limit, match=match
            )
        docs = {i: d for i, d in self._store._select(kind, pattern, match)}
        for k, i, doc in self.pending:
            if k == kind and (not pattern or fnmatch.fnmatchcase(i, pattern)):
                if doc is _DELETE:
                    docs.pop(i, None)
                elif not match or all(doc.get(mk) == mv for mk, mv in match.items()):
                    docs[i] = doc
        out = [docs[i] for i in sorted(docs)][max(offset, 0) :]
        return out if limit is None else out[: max(limit, 0)]

    async def delete(self, kind: str, id: str) -> bool:
        if kind in self._store.shared:
            found, doc = self._buffered(kind, id)
            existed = doc is not None if found else id in self._store._cache[kind]
            self.pending.append((kind, id, _DELETE))
            return existed
        return await self._local.delete(kind, id)
