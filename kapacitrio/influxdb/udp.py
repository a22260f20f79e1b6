"""UDP listeners behind `udp` subscriptions: each datagram of line protocol goes to one db/rp."""

from __future__ import annotations

from typing import Any

import trio

from kapacitrio import logs
from kapacitrio.cluster.inputs import write_body
from kapacitrio.logratelimit import LogLimiter, summary_text
from kapacitrio.udp.sockets import bind_udp

#: Largest datagram read (the UDP maximum).
MAX_DATAGRAM = 65536

_log = logs.get_logger("udp")


class UDPListener:
    """One bound UDP socket writing what it receives into `db`/`rp` through the TaskMaster."""

    def __init__(self, services: Any, db: str, rp: str, read_buffer: int = 0) -> None:
        self.services = services
        self.db = db
        self.rp = rp
        self.read_buffer = read_buffer
        self.port = 0
        self.received = 0
        self.errors = 0
        self._sock: trio.socket.SocketType | None = None
        self._scope: trio.CancelScope | None = None
        # A sender of bad lines must not fill the log: a few lines per minute, then a count.
        self._limiter = LogLimiter(lambda: int(trio.current_time() * 1e9))

    async def bind(self, host: str, port: int) -> int:
        """Bind `host:port` (port 0: any free one); returns the bound port. Raises `OSError`."""
        sock = await bind_udp(host, port, self.read_buffer)
        self._sock = sock
        self.port = sock.getsockname()[1]
        return self.port

    async def serve(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        """Receive until `close()` (or cancellation), then close the socket."""
        assert self._sock is not None, "bind() first"
        with trio.CancelScope() as scope:
            self._scope = scope
            task_status.started()
            try:
                while True:
                    data = await self._sock.recv(MAX_DATAGRAM)
                    await self._write(data)
            finally:
                self._sock.close()

    def close(self) -> None:
        if self._scope is not None:
            self._scope.cancel()
        elif self._sock is not None:
            self._sock.close()

    async def _write(self, data: bytes) -> None:
        from kapacitrio.models.lineprotocol import LineProtocolError

        self.received += 1
        if getattr(self.services, "taskmaster", None) is None or not data.strip():
            return
        try:
            await write_body(self.services, self.db, self.rp, "n", data)
        except LineProtocolError as exc:
            self.errors += 1
            write, held, sample = self._limiter.check("parse", str(exc))
            if held:
                _log.error(
                    summary_text(held, self._limiter.interval_ns),
                    db=self.db,
                    rp=self.rp,
                    error=sample,
                )
            if write:
                _log.error("failed to parse points", db=self.db, rp=self.rp, error=str(exc))
        except Exception as exc:  # e.g. the cluster cannot store it: the listener goes on
            self.errors += 1
            _log.error("failed to write points", db=self.db, rp=self.rp, error=repr(exc))


class UDPListeners:
    """The listeners of one cluster's `udp` subscriptions, by db/rp, run in a nursery."""

    def __init__(self, services: Any, nursery: trio.Nursery | None) -> None:
        self.services = services
        self.nursery = nursery
        self.by_dbrp: dict[tuple[str, str], UDPListener] = {}

    async def ensure(self, db: str, rp: str, host: str, port: int, read_buffer: int = 0) -> int:
        """A listener for db/rp on `port` (0: any, or the one already open); returns its port."""
        current = self.by_dbrp.get((db, rp))
        if current is not None and (port in (0, current.port)):
            return current.port
        if self.nursery is None:
            raise OSError("UDP subscriptions need the running subscription service")
        listener = UDPListener(self.services, db, rp, read_buffer)
        bound = await listener.bind(host, port)
        await self.nursery.start(listener.serve)
        if current is not None:
            current.close()
        self.by_dbrp[(db, rp)] = listener
        _log.info("started UDP listener", db=db, rp=rp, port=bound)
        return bound

    def keep_only(self, dbrps: set[tuple[str, str]]) -> None:
        """Close the listeners of every other db/rp."""
        for key in [k for k in self.by_dbrp if k not in dbrps]:
            self.by_dbrp.pop(key).close()

    def close_all(self) -> None:
        self.keep_only(set())
