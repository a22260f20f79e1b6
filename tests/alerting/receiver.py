"""A TCP line collector on a free loopback port, for the tcp and sensu handler tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import trio


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
