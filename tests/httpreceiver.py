"""A loopback HTTP/1.1 server for tests: records every request and answers with a scripted status."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import trio


@dataclass
class Request:
    """One request as the receiver saw it; header names are lower-cased."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HTTPReceiver:
    """Answers each request with the next of `statuses` (then `status`) and `reply`, after `delay`."""

    status: int = 200
    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    reply: bytes = b'{"ok":true}'
    content_type: str = "application/json"
    requests: list[Request] = field(default_factory=list)
    port: int = 0
    arrived: trio.Event = field(default_factory=trio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def wait_for(self, n: int, timeout: float = 10.0) -> list[Request]:
        """The requests once at least `n` have arrived."""
        with trio.fail_after(timeout):
            while len(self.requests) < n:
                self.arrived = trio.Event()
                await self.arrived.wait()
        return self.requests

    async def serve(self, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        """Listen on a free loopback port; `nursery.start` returns the receiver."""
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        self.port = listeners[0].socket.getsockname()[1]
        task_status.started(self)
        await trio.serve_listeners(self._serve_connection, listeners)

    async def _serve_connection(self, stream: trio.SocketStream) -> None:
        buf = bytearray()
        try:
            while True:
                request = await _read_request(stream, buf)
                if request is None:
                    return
                self.requests.append(request)
                self.arrived.set()
                if self.delay:
                    await trio.sleep(self.delay)
                await stream.send_all(self._response())
        except (trio.BrokenResourceError, trio.ClosedResourceError, ValueError):
            return

    def _response(self) -> bytes:
        status = self.statuses.pop(0) if self.statuses else self.status
        head = f"HTTP/1.1 {status} X\r\nContent-Length: {len(self.reply)}\r\n"
        head += f"Content-Type: {self.content_type}\r\n\r\n"
        return head.encode() + self.reply


async def _read_request(stream: trio.SocketStream, buf: bytearray) -> Request | None:
    """The next request on the connection (consumed from `buf`), or None when the peer closed."""
    while b"\r\n\r\n" not in buf:
        if not await _receive_into(stream, buf):
            return None
    end = buf.index(b"\r\n\r\n")
    lines = buf[:end].decode("latin-1").split("\r\n")
    del buf[: end + 4]
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    size = int(headers.get("content-length", "0"))
    while len(buf) < size:
        if not await _receive_into(stream, buf):
            return None
    body = bytes(buf[:size])
    del buf[:size]
    return Request(method, path, headers, body)


async def _receive_into(stream: trio.SocketStream, buf: bytearray) -> bool:
    data = await stream.receive_some(65536)
    buf += data
    return bool(data)
