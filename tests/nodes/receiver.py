"""A minimal HTTP/1.1 receiver on a loopback port that records requests (for httpPost tests)."""

from __future__ import annotations

from dataclasses import dataclass, field

import trio


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers every request with `status` after `delay` seconds and records it."""

    status: int = 200
    delay: float = 0.0
    reply: bytes = b"ok"
    requests: list[Received] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def serve(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        self.port = listeners[0].socket.getsockname()[1]
        task_status.started()
        await trio.serve_listeners(self._handle, listeners)

    async def _handle(self, stream: trio.SocketStream) -> None:
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    chunk = await stream.receive_some(65536)
                    if not chunk:
                        return
                    buf += chunk
                head, buf = buf.split(b"\r\n\r\n", 1)
                lines = head.decode().split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {k.lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:])}
                size = int(headers.get("content-length", "0"))
                while len(buf) < size:
                    buf += await stream.receive_some(65536)
                body, buf = buf[:size], buf[size:]
                self.requests.append(Received(method, path, headers, body))
                if self.delay:
                    await trio.sleep(self.delay)
                await stream.send_all(
                    b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n\r\n%s"
                    % (self.status, len(self.reply), self.reply)
                )
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            return
