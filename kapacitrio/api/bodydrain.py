"""Answer only once the request body has arrived, or close the connection after the answer.

hypercorn cannot reuse a keep-alive connection whose response went out before the request body
was fully received (the next request on it is never answered). So every response first waits a
moment for the rest of the body; a body refused as too large, or one still arriving after the
wait, gets `Connection: close` so the client opens a new connection for its next request.
"""

from __future__ import annotations

from typing import Any

import trio
from quart import Response, request
from werkzeug.exceptions import HTTPException

#: How long a response waits for the rest of a request body (seconds).
DRAIN_SECONDS = 2.0


def _body_state() -> tuple[Any, bool, bool]:
    """The request body, whether it has fully arrived and whether it was refused as too large."""
    body = request.body
    complete = getattr(body, "_complete", None)
    arrived = complete is None or complete.is_set()
    refused = getattr(body, "_must_raise", None) is not None
    return body, arrived, refused


async def settle_request_body(response: Response) -> Response:
    """After-request hook: see the module docstring."""
    body, arrived, refused = _body_state()
    if not refused and not arrived:
        with trio.move_on_after(DRAIN_SECONDS):
            try:
                await body
            except HTTPException:  # became too large while arriving
                pass
        body, arrived, refused = _body_state()
    if refused or not arrived:
        response.headers["Connection"] = "close"
    return response
