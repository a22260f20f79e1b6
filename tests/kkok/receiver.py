"""The shared HTTP receiver started in a nursery with scripted statuses, for transport tests."""

from __future__ import annotations

import trio

from tests.httpreceiver import HTTPReceiver


async def start_receiver(nursery: trio.Nursery, statuses: list[int] | None = None) -> HTTPReceiver:
    """A receiver answering `statuses` in turn, then 200."""
    receiver = HTTPReceiver(statuses=list(statuses or []), reply=b"ok", content_type="text/plain")
    return await nursery.start(receiver.serve)
