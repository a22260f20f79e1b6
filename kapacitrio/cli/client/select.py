"""Turning command-line IDs (which may be glob patterns) into the IDs a server holds."""

from __future__ import annotations

from kapacitrio.cli.client.http import Client, ClientError

GLOB = set("*?[")

#: List endpoint and result key for each kind of object the client can list by pattern.
COLLECTIONS = {
    "tasks": ("tasks", "tasks"),
    "templates": ("templates", "templates"),
    "recordings": ("recordings", "recordings"),
    "replays": ("replays", "replays"),
    "topics": ("alerts/topics", "topics"),
}


def is_pattern(text: str) -> bool:
    return any(ch in GLOB for ch in text)


def list_ids(client: Client, kind: str, pattern: str) -> list[str]:
    """IDs of every `kind` object matching a glob pattern (paged for tasks and templates)."""
    path, key = COLLECTIONS[kind]
    ids: list[str] = []
    offset = 0
    while True:
        params: dict[str, object] = {"pattern": pattern}
        if kind in ("tasks", "templates"):
            params.update({"fields": "id", "offset": offset, "limit": 100})
        body = client.get(path, **params) or {}
        items = body.get(key) or []
        ids.extend(str(item["id"]) for item in items if isinstance(item, dict) and "id" in item)
        if kind not in ("tasks", "templates") or len(items) < 100:
            return ids
        offset += len(items)


def matching_ids(client: Client, kind: str, args: list[str]) -> list[str]:
    """Plain IDs as given; patterns expanded (a pattern matching nothing is an error)."""
    out: list[str] = []
    for arg in args:
        if not is_pattern(arg):
            out.append(arg)
            continue
        found = list_ids(client, kind, arg)
        if not found:
            raise ClientError(f"no {kind} match {arg!r}")
        out.extend(i for i in found if i not in out)
    return out
