"""Local receivers for handler tests: a minimal HTTP server and a TCP line collector on free ports."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import trio


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HTTPReceiver:
    """Records every request; answers `status` (200 by default) after `delay` seconds."""

    requests: list[Request] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0
    port: int = 0
    arrived: trio.Event = field(default_factory=trio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def wait_for(self, n: int, timeout: float = 10.0) -> list[Request]:
        with trio.fail_after(timeout):
            while len(self.requests) < n:
                self.arrived = trio.Event()
                await self.arrived.wait()
        return self.requests

    async def serve(self, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        self.port = listeners[0].socket.getsockname()[1]
        task_status.started(self)
        await trio.serve_listeners(self._conn, listeners)

    async def _conn(self, stream: trio.SocketStream) -> None:
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = await stream.receive_some(65536)
                    if not data:
                        return
                    buf += data
                head, _, buf = buf.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    k, _, v = line.partition(":")
                    headers[k.strip().lower()] = v.strip()
                n = int(headers.get("content-length", "0"))
                while len(buf) < n:
                    data = await stream.receive_some(65536)
                    if not data:
                        return
                    buf += data
                body, buf = buf[:n], buf[n:]
                self.requests.append(Request(method, path, headers, body))
                self.arrived.set()
                if self.delay:
                    await trio.sleep(self.delay)
                resp = b'{"ok":true}'
                await stream.send_all(
                    f"HTTP/1.1 {self.status} X\r\nContent-Length: {len(resp)}\r\n"
                    "Content-Type: application/json\r\n\r\n".encode()
                    + resp
                )
        except (trio.BrokenResourceError, trio.ClosedResourceError, ValueError):
            return


@dataclass
class TCPReceiver:
    """Collects newline-separated payloads from every connection."""

    lines: list[bytes] = field(default_factory=list)
    port: int = 0
    arrived: trio.Event = field(default_factory=trio.Event)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def wait_for(self, n: int, timeout: float = 10.0) -> list[bytes]:
        with trio.fail_after(timeout):
            while len(self.lines) < n:
                self.arrived = trio.Event()
                await self.arrived.wait()
        return self.lines

    async def serve(self, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        self.port = listeners[0].socket.getsockname()[1]
        task_status.started(self)
        await trio.serve_listeners(self._conn, listeners)

    async def _conn(self, stream: trio.SocketStream) -> None:
        buf = b""
        async for data in stream:
            buf += data
        for line in buf.splitlines():
            if line:
                self.lines.append(line)
        self.arrived.set()
