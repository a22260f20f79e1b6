"""Task checkpoints in the state bucket, the large ones in a JetStream object store, none dropped.

A checkpoint (a task's stream position and node snapshots, `cluster.ingest`) is one KV value
while it is small: JSON, or `z` + zlib above COMPRESS_ABOVE. A KV value is one NATS message
(at most `max_payload`, 1 MB by default), so a compressed checkpoint above IN_KV goes into the
object store `<prefix>_state_objects` (stored in chunks, checked by digest), one object per task,
and the KV value becomes `o` + a small JSON pointer that also holds the position: should the
object be unreadable, the task still resumes from that position (with its nodes empty).
The object is written before the pointer, so a pointer never names state older than itself.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from kapacitrio.logs import get_logger

_log = get_logger("cluster")

#: A checkpoint larger than this is stored compressed.
COMPRESS_ABOVE = 16 * 1024
#: A compressed checkpoint larger than this goes into the object store.
IN_KV = 768 * 1024


def encode(doc: dict[str, Any]) -> bytes:
    """A checkpoint document as bytes: JSON, compressed when large (`z` + zlib)."""
    raw = json.dumps(doc, separators=(",", ":")).encode()
    return raw if len(raw) <= COMPRESS_ABOVE else b"z" + zlib.compress(raw, 1)


def decode(raw: bytes) -> dict[str, Any]:
    """The checkpoint document of `encode`'s bytes; ValueError when they are not one."""
    try:
        doc = json.loads(zlib.decompress(raw[1:]) if raw[:1] == b"z" else raw)
    except (zlib.error, UnicodeDecodeError) as exc:
        raise ValueError(f"checkpoint unreadable: {exc}") from None
    if not isinstance(doc, dict) or type(doc.get("seq")) is not int:
        raise ValueError("checkpoint without a position")
    return doc


class StateStore:
    """Checkpoints by key: in the state bucket, large ones through the object store."""

    def __init__(self, link: Any) -> None:
        self.link = link
        #: Keys whose checkpoint this member last put into the object store.
        self._objects: set[str] = set()

    @property
    def bucket(self) -> str:
        return self.link.names.state

    async def save(self, key: str, doc: dict[str, Any]) -> None:
        """Store one checkpoint (raises the link's errors; the last stored one then stays)."""
        data = encode(doc)
        if len(data) <= IN_KV:
            await self.link.kv_put(self.bucket, key, data)
            if key in self._objects:  # the large one before it is not needed any more
                self._objects.discard(key)
                await self._drop_object(key)
            return
        await self.link.obj_put(key, data)
        self._objects.add(key)
        pointer = {"seq": doc["seq"], "task": doc.get("task", ""), "size": len(data)}
        await self.link.kv_put(self.bucket, key, b"o" + json.dumps(pointer).encode())

    async def load(self, key: str) -> dict[str, Any]:
        """The last checkpoint stored under `key` ({"seq": 0} for none). One that cannot be
        read whole gives its position alone, with a warning: the task starts empty from it."""
        raw = await self.link.kv_get(self.bucket, key)
        if not raw:
            return {"seq": 0}
        if raw[:1] == b"o":
            self._objects.add(key)  # this member's next small checkpoint deletes it
            return await self._load_object(key, raw[1:])
        try:
            return decode(raw)
        except ValueError as exc:
            _log.warning("checkpoint unreadable; the task starts from the beginning", err=str(exc))
            return {"seq": 0}

    async def _load_object(self, key: str, pointer_raw: bytes) -> dict[str, Any]:
        try:
            pointer = json.loads(pointer_raw)
            seq = int(pointer["seq"])
        except (ValueError, KeyError, TypeError) as exc:
            _log.warning("checkpoint pointer unreadable", key=key, err=str(exc))
            return {"seq": 0}
        try:
            data = await self.link.obj_get(key)
            doc = decode(data) if data is not None else None
        except (*self.link.errors, ValueError) as exc:
            _log.warning("node state unreadable; the task resumes empty", key=key, err=repr(exc))
            doc = None
        if doc is None or doc["seq"] < seq:
            return {"seq": seq}
        return doc

    async def delete(self, key: str) -> None:
        """Forget a task's checkpoint, with its object if it has one."""
        await self.link.kv_delete(self.bucket, key)
        self._objects.discard(key)
        await self._drop_object(key)

    async def _drop_object(self, key: str) -> None:
        try:
            await self.link.obj_delete(key)
        except self.link.errors as exc:  # best effort: the pointer decides what is read
            _log.debug("old checkpoint object not deleted", key=key, err=repr(exc))
