"""The headers every response carries and the access log line of a request, in one place.

Both the Quart hooks (kapacitrio.api.app) and the write fast lane (kapacitrio.api.fastwrite)
answer requests; they take `X-Kapacitor-Version`, `Request-Id` and the log entry from here.
"""

from __future__ import annotations

import functools
import time
import uuid

from kapacitrio import __version__
from kapacitrio.logs import get_logger

#: The Kapacitor version this server speaks, sent in `X-Kapacitor-Version`.
KAPACITOR_VERSION = f"1.7.5-kapacitrio-{__version__}"

_log = get_logger("http")


@functools.cache
def _node() -> int:
    return uuid.getnode()


def request_id(given: str | None) -> str:
    """The client's `Request-Id`, else a new time-based (version 1) UUID, as Kapacitor makes.

    Made by Python itself: the system's generator asks a uuidd socket for every one (three
    system calls a request)."""
    return given or str(uuid.uuid1(node=_node()))


def log_request(
    *,
    host: str,
    method: str,
    uri: str,
    protocol: str,
    status: int,
    referer: str,
    user_agent: str,
    rid: str,
    start: float | None,
) -> None:
    """Log one answered request (`start` is its `time.perf_counter()` on arrival)."""
    took = "" if start is None else f"{(time.perf_counter() - start) * 1000:.3f}ms"
    _log.info(
        "http request",
        **{
            "host": host,
            "method": method,
            "uri": uri,
            "protocol": protocol,
            "status": status,
            "referer": referer or "-",
            "user-agent": user_agent or "-",
            "request-id": rid,
            "duration": took,
        },
    )
