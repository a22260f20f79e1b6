"""The fast lane for `POST /write`: a plain write is answered without Quart's per-request work.

A collector's write is most of the traffic, and Quart's request context, hooks and response
object cost about a millisecond a request here, as much as parsing a small body. This ASGI layer
answers a *plain* write itself: POST to one of the write paths, with no Content-Length past the
body limit, no `Origin`, `Expect` or method override, and authentication off. The status, body,
headers and access log line are those of the Quart route (kapacitrio.api.write), made by the same
functions. Every other request, and every write that is not plain, goes to the app unchanged, so
the guard, CORS and Quart's own checks stay the single place for them.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import trio
import werkzeug.urls  # noqa: F401  (registers the "werkzeug.url_quote" codec error handler)
from werkzeug.exceptions import RequestTimeout

from kapacitrio.api import accesslog, errors
from kapacitrio.api.accesslog import KAPACITOR_VERSION
from kapacitrio.api.ingest import decode_body, ingest
from kapacitrio.auth.guard import OVERRIDE_HEADER, auth_off

if TYPE_CHECKING:
    from kapacitrio.services import Services

Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[dict[str, Any], Any, Send], Awaitable[None]]

#: The paths of the write route (kapacitrio.api.write at the root and under both API bases).
WRITE_PATHS = frozenset({"/write", "/kapacitor/v1/write", "/kapacitor/v1preview/write"})
#: Headers that make a write not plain: the guard, CORS or Quart has a say in its answer.
_NOT_PLAIN = frozenset({b"origin", b"expect", OVERRIDE_HEADER.lower().encode()})
#: How long a body may take to arrive, as Quart's default `BODY_TIMEOUT`.
BODY_TIMEOUT_S = 60.0


class _PlainWrite:
    """What the lane needs of a plain write's request; None from `of` for any other request."""

    def __init__(self, headers: dict[bytes, bytes], args: dict[str, str]) -> None:
        self.headers = headers
        self.args = args

    @classmethod
    def of(cls, scope: dict[str, Any], limit: int) -> _PlainWrite | None:
        if scope.get("method") != "POST" or scope.get("path") not in WRITE_PATHS:
            return None
        if scope.get("root_path"):
            return None
        headers: dict[bytes, bytes] = {}
        for name, value in scope.get("headers", ()):
            name = name.lower()
            if name in _NOT_PLAIN or name in headers:
                return None
            headers[name] = value
        length = headers.get(b"content-length", b"0")
        if not length.isdigit() or (limit and int(length) > limit):
            return None  # refused by Quart before the body is sent
        try:
            query = scope.get("query_string", b"").decode()
        except UnicodeDecodeError:
            return None
        args: dict[str, str] = {}
        for key, value in parse_qsl(query, keep_blank_values=True, errors="werkzeug.url_quote"):
            args.setdefault(key, value)
        return cls(headers, args)

    def header(self, name: bytes) -> str:
        return self.headers.get(name, b"").decode("latin-1")


class _TooLarge(Exception):
    """A body without a Content-Length grew past the limit while arriving."""


async def _read_body(receive: Any, limit: int) -> bytes | None:
    """The request body; None when the client went away before sending all of it."""
    parts = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        part = message.get("body", b"")
        size += len(part)
        if limit and size > limit:
            raise _TooLarge
        parts.append(part)
        if not message.get("more_body", False):
            return b"".join(parts)


async def _answer(
    svc: Services, write: _PlainWrite, receive: Any
) -> tuple[int, bytes, bool] | None:
    """Status, body and whether to close the connection, for a plain write; None when the client
    went away before its body was all sent (nobody to answer)."""
    limit = svc.config.http.max_body_size
    try:
        with trio.move_on_after(BODY_TIMEOUT_S) as waited:
            data = await _read_body(receive, limit)
    except _TooLarge:
        return 413, errors.json_error_body("request body too large"), True
    if waited.cancelled_caught:
        return 408, errors.json_error_body(RequestTimeout.description), True
    if data is None:
        return None
    try:
        body = decode_body(data, write.header(b"content-encoding"), limit)
        args = write.args
        await ingest(svc, args.get("db", ""), args.get("rp", ""), args.get("precision", ""), body)
    except Exception as exc:  # answered as the app's error handlers answer
        status, message = errors.answer_for(exc)
        return status, errors.json_error_body(message), False
    return 204, b"", False


def _headers(status: int, body: bytes, rid: str, close: bool) -> list[tuple[bytes, bytes]]:
    headers = []
    if status != 204:
        headers += [
            (b"content-type", errors.JSON_CONTENT_TYPE.encode()),
            (b"content-length", str(len(body)).encode()),
        ]
    headers += [(b"x-kapacitor-version", KAPACITOR_VERSION.encode()), (b"request-id", rid.encode())]
    if close:
        headers.append((b"connection", b"close"))
    return headers


def lane(app: ASGIApp, svc: Services) -> ASGIApp:
    """Wrap the app's ASGI callable so plain writes take the fast lane (see the module docstring)."""

    log_requests = svc.config.http.log_enabled  # read once, as the app's own hook does

    async def asgi(scope: dict[str, Any], receive: Any, send: Send) -> None:
        write = None
        if scope.get("type") == "http" and auth_off(svc):
            write = _PlainWrite.of(scope, svc.config.http.max_body_size)
        if write is None:
            await app(scope, receive, send)
            return
        start = time.perf_counter()
        answer = await _answer(svc, write, receive)
        if answer is None:
            return
        status, body, close = answer
        rid = accesslog.request_id(write.header(b"request-id"))
        headers = _headers(status, body, rid, close)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        if log_requests:
            _log_write(scope, write, status, rid, start)

    return asgi


def _log_write(
    scope: dict[str, Any], write: _PlainWrite, status: int, rid: str, start: float
) -> None:
    query = scope.get("query_string", b"").decode()
    client = scope.get("client") or ("<local>",)  # as Quart names a request without a peer
    accesslog.log_request(
        host=client[0],
        method="POST",
        uri=f"{scope['path']}?{query}".rstrip("?"),
        protocol=f"HTTP/{scope.get('http_version', '1.1')}",
        status=status,
        referer=write.header(b"referer"),
        user_agent=write.header(b"user-agent"),
        rid=rid,
        start=start,
    )
