"""The `tcp` handler: the alert JSON, newline terminated, over a new TCP connection."""

from __future__ import annotations

from typing import Any

import trio

from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import register
from kapacitrio.alerting.handlers.base import (
    Handler,
    HandlerEnv,
    HandlerFailed,
    HandlerOptionError,
    opt_str,
    tick_arg,
)

TIMEOUT = 10.0


def split_address(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise HandlerOptionError(f"invalid address {address!r}: expected host:port")
    return host.strip("[]") or "localhost", int(port)


async def send_tcp(address: str, payload: bytes, timeout: float = TIMEOUT) -> None:
    host, port = split_address(address)
    try:
        with trio.fail_after(timeout):
            stream = await trio.open_tcp_stream(host, port)
            async with stream:
                await stream.send_all(payload)
    except (OSError, trio.TooSlowError) as exc:
        raise HandlerFailed(f"failed to send to {address}: {exc or 'timeout'}") from None


class TCPHandler(Handler):
    def __init__(self, options: dict[str, Any], env: HandlerEnv) -> None:
        self.address = opt_str(options, "address")
        split_address(self.address)

    async def handle(self, event: Event) -> None:
        await send_tcp(self.address, event.alert_text().encode())


def _from_tick(args: list[Any], props: dict[str, Any]) -> dict[str, Any]:
    return {"address": tick_arg(args, props, "address")}


register("tcp", TCPHandler, _from_tick)
