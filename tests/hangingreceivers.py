"""Receivers that misbehave, for outgoing-request tests: hung, slow, refusing and failing (500).

`open_receiver(nursery, kind)` returns a URL: `hung` accepts and reads but never answers, `slow`
answers 200 after `SLOW_SECONDS` (Trio time, so a MockClock skips it), `refused` is a loopback
port nothing listens on, `500` answers every request with a 500. `hits` counts the requests (or
connections, for `hung`) each receiver saw.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import trio

from kapacitrio.testing.ports import free_port
from tests.httpreceiver import HTTPReceiver

KINDS = ("hung", "slow", "refused", "500")
SLOW_SECONDS = 20.0


@dataclass
class Receiver:
    url: str
    kind: str
    http: HTTPReceiver | None = None
    connections: list[int] = field(default_factory=lambda: [0])

    @property
    def hits(self) -> int:
        return len(self.http.requests) if self.http is not None else self.connections[0]


async def open_receiver(nursery: trio.Nursery, kind: str) -> Receiver:
    """A receiver of the given kind serving in `nursery` (nothing serves for `refused`)."""
    if kind == "refused":
        return Receiver(f"http://127.0.0.1:{free_port()}", kind)
    if kind in ("slow", "500"):
        rx = HTTPReceiver(status=500 if kind == "500" else 200)
        rx.delay = SLOW_SECONDS if kind == "slow" else 0.0
        await nursery.start(rx.serve)
        return Receiver(rx.url, kind, http=rx)
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    out = Receiver(f"http://127.0.0.1:{port}", kind)

    async def hang(stream: trio.SocketStream) -> None:
        out.connections[0] += 1
        try:
            while await stream.receive_some(65536):
                pass
        except trio.BrokenResourceError:
            pass

    nursery.start_soon(trio.serve_listeners, hang, listeners)
    return out
