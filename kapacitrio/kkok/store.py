"""Persistence of filters, routes and the pending pool through the server's document store."""

from __future__ import annotations

from typing import Any, Protocol

FILTERS = "kkok_filter"
STATIC = "kkok_static_filter"
ROUTES = "kkok_route"
PENDING = "kkok_pending"


class DocStore(Protocol):
    """The part of `storage.db.Store` the router uses."""

    async def put(self, kind: str, id: str, doc: Any) -> None: ...

    async def get(self, kind: str, id: str) -> Any | None: ...

    async def list(self, kind: str) -> list[Any]: ...

    async def delete(self, kind: str, id: str) -> bool: ...


class MemoryStore:
    """An in-memory `DocStore` for tests and for a router without a server."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}

    async def put(self, kind: str, id: str, doc: Any) -> None:
        self.docs.setdefault(kind, {})[id] = doc

    async def get(self, kind: str, id: str) -> Any | None:
        return self.docs.get(kind, {}).get(id)

    async def list(self, kind: str) -> list[Any]:
        items = self.docs.get(kind, {})
        return [items[k] for k in sorted(items)]

    async def delete(self, kind: str, id: str) -> bool:
        return self.docs.get(kind, {}).pop(id, None) is not None


def pending_id(seq: int) -> str:
    """Ids that sort in arrival order."""
    return f"{seq:020d}"
