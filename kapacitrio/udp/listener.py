"""One `[[udp]]` listener: a socket reader, a bounded queue and a writer into the engine's write path.

Each datagram is one body of line protocol (nanosecond precision), written through the TaskMaster
exactly as a `POST /write` body is. A datagram that does not parse is counted and logged (at most
one log entry per `LOG_EVERY`, with the number suppressed), and the listener goes on.
"""

from __future__ import annotations

import socket
from typing import Any

import trio

from kapacitrio import logs
from kapacitrio.config import host_port
from kapacitrio.engine.clock import NS, Clock
from kapacitrio.logratelimit import LogLimiter
from kapacitrio.models.lineprotocol import LineProtocolError
from kapacitrio.udp.sockets import bind_udp

#: Largest datagram read (the UDP maximum).
MAX_DATAGRAM = 65536
#: Shortest time between two logged parse errors of one listener.
LOG_EVERY = 10 * NS

_log = logs.get_logger("udp")

STAT_NAMES = (
    "bytes_rx",
    "points_rx",
    "points_parse_fail",
    "read_fail",
    "points_tx",
    "tx_fail",
)


def count_points(data: bytes) -> int:
    """Lines of a parsed body that hold a point (blank lines and comments do not)."""
    return sum(
        1 for line in data.split(b"\n") if line.strip() and not line.lstrip().startswith(b"#")
    )


class UDPListener:
    """A bound socket feeding `write(db, rp, precision, body)`; `stats` holds its counters."""

    def __init__(
        self,
        bind_address: str,
        database: str,
        retention_policy: str,
        write: Any,
        clock: Clock,
        *,
        buffer: int = 1000,
        read_buffer: int = 0,
    ) -> None:
        self.bind_address = bind_address
        self.database = database
        self.retention_policy = retention_policy
        self._write = write
        self.buffer = buffer
        self.read_buffer = read_buffer
        self.addr = ""
        self.stats: dict[str, int] = dict.fromkeys(STAT_NAMES, 0)
        self._sock: trio.socket.SocketType | None = None
        # One parse-error line per LOG_EVERY; the next one carries how many were held back.
        self._limiter = LogLimiter(clock.now, burst=1, interval_ns=LOG_EVERY)

    async def bind(self) -> str:
        """Bind the socket (port 0: any free one); returns the bound `host:port`. Raises `OSError`."""
        host, port = host_port(self.bind_address)
        sock = await bind_udp(host, port, self.read_buffer)
        self._sock = sock
        bound = sock.getsockname()
        self.addr = (
            f"[{bound[0]}]:{bound[1]}"
            if sock.family == socket.AF_INET6
            else f"{bound[0]}:{bound[1]}"
        )
        return self.addr

    async def serve(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        """Read and write until cancelled; the socket is closed on the way out."""
        assert self._sock is not None, "bind() first"
        send, receive = trio.open_memory_channel[bytes](max(self.buffer, 0))
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._process, receive)
                task_status.started()
                async with send:
                    await self._read(send)
        finally:
            self._sock.close()

    async def _read(self, send: trio.MemorySendChannel[bytes]) -> None:
        assert self._sock is not None
        while True:
            try:
                data = await self._sock.recv(MAX_DATAGRAM)
            except OSError as exc:
                self.stats["read_fail"] += 1
                _log.error("failed to read UDP message", bind=self.addr, err=str(exc))
                await trio.sleep(0)
                continue
            self.stats["bytes_rx"] += len(data)
            await send.send(data)

    async def _process(self, receive: trio.MemoryReceiveChannel[bytes]) -> None:
        async with receive:
            async for data in receive:
                await self.handle(data)

    async def handle(self, data: bytes) -> None:
        """Write one datagram; parse errors and write failures are counted, never raised."""
        if not data.strip():
            return
        try:
            await self._write(self.database, self.retention_policy, "n", data)
        except LineProtocolError as exc:
            self.stats["points_parse_fail"] += 1
            self._log_parse_error(str(exc))
            return
        except Exception as exc:  # a failing engine must not stop the listener
            self.stats["tx_fail"] += 1
            _log.error(
                "failed to write points", db=self.database, err=f"{type(exc).__name__}: {exc}"
            )
            return
        n = count_points(data)
        self.stats["points_rx"] += n
        self.stats["points_tx"] += n

    def _log_parse_error(self, err: str) -> None:
        write, held, _ = self._limiter.check("parse")
        if write:
            extra = {"suppressed": held} if held else {}
            _log.error("failed to parse points", bind=self.addr, db=self.database, err=err, **extra)
