"""A real SMTP server (aiosmtpd) on a free loopback port that keeps every envelope it accepts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiosmtpd.controller import Controller

from kapacitrio.testing.ports import free_port


class SMTPSink:
    """aiosmtpd handler: `envelopes` holds each accepted mail (`mail_from`, `rcpt_tos`, `content`)."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.envelopes.append(envelope)
        return "250 OK"


@contextmanager
def running_smtp_sink(**controller_options: Any) -> Iterator[tuple[Controller, SMTPSink]]:
    """Start an SMTP server (extra aiosmtpd Controller options allowed) for the `with` block."""
    sink = SMTPSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port(), **controller_options)
    controller.start()
    try:
        yield controller, sink
    finally:
        controller.stop()
