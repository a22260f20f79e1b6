"""A tiny HTTP receiver on loopback for transport tests: records requests, answers scripted statuses."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import trio


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    statuses: list[int] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, stream: trio.SocketStream) -> None:
        buf = b""
        async with stream:
            while True:
                while b"\r\n\r\n" not in buf:
                    chunk = await stream.receive_some(65536)
                    if not chunk:
                        return
                    buf += chunk
                head, _, buf = buf.partition(b"\r\n\r\n")
                lines = head.decode().split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    k, _, v = line.partition(":")
                    headers[k.strip().lower()] = v.strip()
                size = int(headers.get("content-length", "0"))
                while len(buf) < size:
                    buf += await stream.receive_some(65536)
                body, buf = buf[:size], buf[size:]
                self.requests.append(Request(method, path, headers, body))
                status = self.statuses.pop(0) if self.statuses else 200
                reply = b"ok" if status < 300 else b"failure"
                await stream.send_all(
                    b"HTTP/1.1 %d X\r\nContent-Length: %d\r\nContent-Type: text/plain\r\n\r\n%s"
                    % (status, len(reply), reply)
                )


async def start_receiver(nursery: trio.Nursery, statuses: list[int] | None = None) -> Receiver:
    rec = Receiver(statuses=list(statuses or []))
    listeners = await nursery.start(
        functools.partial(trio.serve_tcp, rec._handle, 0, host="127.0.0.1")
    )
    rec.port = listeners[0].socket.getsockname()[1]
    return rec
