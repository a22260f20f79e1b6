"""The shared HTTP receiver as httpPost and sideload tests use it: a plain `ok` reply by default."""

from __future__ import annotations

from dataclasses import dataclass

from tests.httpreceiver import HTTPReceiver


@dataclass
class Receiver(HTTPReceiver):
    """Answers every request with `status` and `reply` (`ok`) after `delay` seconds."""

    reply: bytes = b"ok"
    content_type: str = "text/plain"
