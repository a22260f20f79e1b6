"""The `tcp` handler: the alert JSON written to a TCP address, one connection per event."""

from __future__ import annotations

from dataclasses import dataclass

import trio

from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import define
from kapacitrio.alerting.handlers.base import HandlerEnv, HandlerFailed, HandlerOptionError
from kapacitrio.alerting.handlers.kind import Ctx, Kind, Tick
from kapacitrio.alerting.handlers.options import Opt, Table, Values

TIMEOUT = 10.0


def split_address(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise HandlerOptionError(f"invalid address {address!r}: expected host:port")
    return host.strip("[]") or "localhost", int(port)


async def send_tcp(address: str, payload: bytes, timeout: float = TIMEOUT) -> None:
    try:
        host, port = split_address(address)
    except HandlerOptionError as exc:
        raise HandlerFailed(str(exc)) from None
    try:
        with trio.fail_after(timeout):
            stream = await trio.open_tcp_stream(host, port)
            async with stream:
                await stream.send_all(payload)
    except (OSError, trio.TooSlowError) as exc:
        raise HandlerFailed(f"failed to send to {address}: {exc or 'timeout'}") from None


@dataclass
class TCPRequest:
    """One payload for one TCP connection."""

    address: str
    payload: bytes

    async def send(self, env: HandlerEnv) -> None:
        await send_tcp(self.address, self.payload)


TABLE = Table("*alert.TCPHandlerConfig", (Opt("address"),))


def _check(o: Values, env: HandlerEnv) -> None:
    split_address(o["address"])


def request(o: Values, event: Event, ctx: Ctx) -> TCPRequest:
    return TCPRequest(o["address"], event.alert_text().encode())


define(
    Kind("tcp", TABLE, request, Tick("tcp", "TcpHandler", ("string",), ("address",)), check=_check)
)
