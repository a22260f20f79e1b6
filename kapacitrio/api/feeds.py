"""WebSocket feeds of alert events: `/alerts/topics/<id>/feed` and `/alerts/topics/feed` (preview API)."""

from __future__ import annotations

import trio
from quart import Blueprint, websocket

from kapacitrio.api.app import services
from kapacitrio.models import gonumbers

bp = Blueprint("feeds", __name__)

PREVIEW_ONLY = True


async def _stream(topic: str | None) -> None:
    alerts = services().alerts
    if alerts is None:
        await websocket.close(1011, "the alert service is not running")
        return
    await websocket.accept()
    recv = alerts.subscribe(topic)
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_until_client_leaves, nursery.cancel_scope)
            async with recv:
                async for msg in recv:
                    await websocket.send(
                        gonumbers.dumps(msg, separators=(",", ":"), ensure_ascii=False)
                    )
            # The channel closed: this subscriber fell too far behind.
            await websocket.close(1008, "feed subscriber too slow")
            nursery.cancel_scope.cancel()
    finally:
        alerts.unsubscribe(recv)


async def _until_client_leaves(scope: trio.CancelScope) -> None:
    """Read (and ignore) what the client sends; when it goes away, stop streaming to it."""
    try:
        while True:
            await websocket.receive()
    finally:
        scope.cancel()


@bp.websocket("/alerts/topics/feed")
async def all_topics_feed() -> None:
    await _stream(None)


@bp.websocket("/alerts/topics/<topic>/feed")
async def topic_feed(topic: str) -> None:
    await _stream(topic)
