"""A write's body into the engine: decoded (gzip, the size limit), then to the engine or cluster.

Shared by the Quart route (kapacitrio.api.write) and the fast lane (kapacitrio.api.fastwrite);
errors are `ApiError`s with Kapacitor's statuses and messages.
"""

from __future__ import annotations

import inspect
import zlib
from typing import Any

from kapacitrio.api.errors import ApiError, bad_request
from kapacitrio.models.lineprotocol import LineProtocolError


def _gunzip(data: bytes, limit: int) -> bytes:
    """Decompress a gzip body, refusing to inflate past `limit` bytes (0: no limit)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1 if limit else 0)
        if not inflater.eof:
            if limit and len(out) > limit:
                raise ApiError(413, "request body too large")
            raise bad_request("gzip: unexpected EOF")
    except zlib.error as exc:
        raise bad_request(f"gzip: invalid body: {exc}") from None
    return out


def decode_body(data: bytes, content_encoding: str, limit: int) -> bytes:
    """The line protocol of a request body (gunzipped if so encoded), at most `limit` bytes."""
    if content_encoding.lower() == "gzip":
        data = _gunzip(data, limit)
    if limit and len(data) > limit:
        raise ApiError(413, "request body too large")
    return data


async def ingest(svc: Any, db: str, rp: str, precision: str, body: bytes) -> None:
    """Write a decoded body to the engine, or to the cluster's ingest; raises `ApiError`."""
    if not body.strip():
        return
    if not db:
        raise bad_request("database is required")
    rp = rp or svc.config.default_retention_policy
    precision = precision or "n"
    cluster = svc.extra.get("cluster")
    if cluster is not None:  # stored in JetStream for whichever member runs the tasks
        tally: dict[str, int] = {}
        try:
            await cluster.ingest.publish(db, rp, precision, body, tally)
        except LineProtocolError as exc:
            raise bad_request(str(exc)) from None
        except cluster.link.errors as exc:
            raise ApiError(503, f"the cluster cannot store the write: {exc!r}") from None
        if svc.taskmaster is not None:  # received here, whichever member runs the tasks
            svc.taskmaster.count_ingress(db, rp, tally)
        return
    if svc.taskmaster is None:
        raise ApiError(503, "the engine is not running")
    try:
        result = svc.taskmaster.write(db, rp, precision, body)
        if inspect.isawaitable(result):
            await result
    except LineProtocolError as exc:
        raise bad_request(str(exc)) from None
