"""Any Kapacitor alert handler kind (post, tcp, log, ...) used as a kkok transport."""

from __future__ import annotations

from typing import Any

from kapacitrio.kkok.transports.base import Transport, TransportEnv


def handler_transport(
    kind: str, options: dict[str, Any], env: TransportEnv, *, owner: str
) -> Transport | None:
    """A transport wrapping the Kapacitor handler `kind`, or None when no such handler exists."""
    return None
