"""Transports, one module per kind, and the factory building a route's transport list."""

from __future__ import annotations

from typing import Any

from kapacitrio.kkok.errors import KkokError
from kapacitrio.kkok.params import Params
from kapacitrio.kkok.transports import email, exec, slack, twilio  # noqa: F401
from kapacitrio.kkok.transports.base import (
    TRANSPORT_TYPES,
    Transport,
    TransportEnv,
    TransportError,
)


def make_transport(params: Any, env: TransportEnv, *, owner: str = "route") -> Transport:
    """Build one transport from its JSON object (`type` picks the kind)."""
    if not isinstance(params, dict):
        raise KkokError(f"{owner}: each transport must be a JSON object")
    params = dict(params)
    ttype = params.pop("type", None)
    if not isinstance(ttype, str) or not ttype:
        raise KkokError(f"{owner}: transport type is required")
    cls = TRANSPORT_TYPES.get(ttype)
    if cls is None:
        from kapacitrio.kkok.transports.handler import handler_transport

        found = handler_transport(ttype, params, env, owner=owner)
        if found is None:
            raise KkokError(f"{owner}: no such transport type: {ttype}")
        return found
    return cls(Params(f"{owner}: {ttype} transport", params), env)


__all__ = ["TRANSPORT_TYPES", "Transport", "TransportEnv", "TransportError", "make_transport"]
