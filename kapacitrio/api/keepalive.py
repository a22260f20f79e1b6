"""ASGI guard: a response's last message is sent shielded, so hypercorn closes or reuses the connection.

hypercorn finishes a response from inside the app's `send`: it tells the app the stream is over
(`http.disconnect`), then either closes the socket (`Connection: close`, HTTP/1.0) or starts the
connection's keep-alive timer. Quart-Trio cancels the request's nursery on that disconnect, so the
close or the timer's start is cancelled half-way: the socket stays open with no timer, forever, and
shutdown waits the whole graceful timeout for it. Shielding the last `send` lets hypercorn finish.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import trio

Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[dict[str, Any], Any, Send], Awaitable[None]]


def _is_last(message: dict[str, Any]) -> bool:
    return message.get("type") == "http.response.body" and not message.get("more_body", False)


def guard(app: ASGIApp) -> ASGIApp:
    """Wrap an ASGI app so the final body message of every HTTP response is sent shielded."""

    async def guarded_app(scope: dict[str, Any], receive: Any, send: Send) -> None:
        if scope.get("type") != "http":
            await app(scope, receive, send)
            return

        async def guarded_send(message: dict[str, Any]) -> None:
            if _is_last(message):
                with trio.CancelScope(shield=True):
                    await send(message)
            else:
                await send(message)

        await app(scope, receive, guarded_send)

    return guarded_app
