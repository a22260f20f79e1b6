"""In-process HTTP and TCP receivers on 127.0.0.1 that record what alert handlers send."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import trio

_MAX_HEAD = 64 * 1024


@dataclass
class Request:
    """One recorded HTTP request."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Recorder:
    """Everything the receivers got, in arrival order."""

    http: list[Request] = field(default_factory=list)
    tcp: list[bytes] = field(default_factory=list)

    def http_under(self, prefix: str) -> list[Request]:
        """Requests whose path is `prefix` or lies below it (`/`, `?`)."""
        return [
            r
            for r in self.http
            if r.path == prefix
            or r.path.startswith(prefix + "/")
            or r.path.startswith(prefix + "?")
        ]

    def tcp_lines(self) -> list[bytes]:
        """Non-blank lines of every TCP connection's data."""
        return [line for conn in self.tcp for line in conn.split(b"\n") if line.strip()]


class _Reader:
    """Buffered reads from a stream."""

    def __init__(self, stream: trio.abc.Stream) -> None:
        self.stream = stream
        self.buf = b""

    async def _more(self) -> bool:
        data = await self.stream.receive_some(65536)
        if not data:
            return False
        self.buf += data
        return True

    async def until(self, marker: bytes) -> bytes | None:
        while marker not in self.buf:
            if len(self.buf) > _MAX_HEAD or not await self._more():
                return None
        head, _, self.buf = self.buf.partition(marker)
        return head

    async def exactly(self, n: int) -> bytes | None:
        while len(self.buf) < n:
            if not await self._more():
                return None
        data, self.buf = self.buf[:n], self.buf[n:]
        return data


async def _read_chunked(reader: _Reader) -> bytes | None:
    parts = []
    while True:
        size_line = await reader.until(b"\r\n")
        if size_line is None:
            return None
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            await reader.until(b"\r\n")
            return b"".join(parts)
        data = await reader.exactly(size)
        if data is None:
            return None
        parts.append(data)
        await reader.until(b"\r\n")


class Receivers:
    """An HTTP and a TCP listener; `delay` seconds are slept before answering each HTTP request."""

    def __init__(self, delay: float = 0.0) -> None:
        self.recorder = Recorder()
        self.delay = delay
        self.http_port = 0
        self.tcp_port = 0

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def tcp_addr(self) -> str:
        return f"127.0.0.1:{self.tcp_port}"

    async def run(self, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        """Serve both listeners until cancelled."""
        http = await trio.open_tcp_listeners(0, host="127.0.0.1")
        tcp = await trio.open_tcp_listeners(0, host="127.0.0.1")
        self.http_port = http[0].socket.getsockname()[1]
        self.tcp_port = tcp[0].socket.getsockname()[1]
        async with trio.open_nursery() as nursery:
            nursery.start_soon(trio.serve_listeners, self._http_conn, http)
            nursery.start_soon(trio.serve_listeners, self._tcp_conn, tcp)
            task_status.started(self)

    async def _tcp_conn(self, stream: trio.SocketStream) -> None:
        chunks = []
        try:
            while True:
                data = await stream.receive_some(65536)
                if not data:
                    break
                chunks.append(data)
        except trio.BrokenResourceError:
            pass
        self.recorder.tcp.append(b"".join(chunks))
        await stream.aclose()

    async def _http_conn(self, stream: trio.SocketStream) -> None:
        reader = _Reader(stream)
        try:
            while True:
                head = await reader.until(b"\r\n\r\n")
                if head is None:
                    break
                lines = head.decode("latin-1").split("\r\n")
                method, path = (lines[0].split(" ") + ["", ""])[:2]
                headers: dict[str, str] = {}
                for line in lines[1:]:
                    k, _, v = line.partition(":")
                    headers[k.strip()] = v.strip()
                low = {k.lower(): v for k, v in headers.items()}
                if low.get("transfer-encoding", "").lower() == "chunked":
                    body = await _read_chunked(reader)
                else:
                    body = await reader.exactly(int(low.get("content-length") or 0))
                if body is None:
                    break
                self.recorder.http.append(Request(method, path, headers, body))
                if self.delay:
                    await trio.sleep(self.delay)
                await stream.send_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                if low.get("connection", "").lower() == "close":
                    break
        except (trio.BrokenResourceError, trio.ClosedResourceError, ValueError):
            pass
        finally:
            await stream.aclose()
