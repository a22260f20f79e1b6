"""A route: an id naming a list of transports, kept with the JSON it was defined from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kapacitrio.kkok.errors import KkokError
from kapacitrio.kkok.params import check_id
from kapacitrio.kkok.transports import Transport, TransportEnv, make_transport


@dataclass
class Route:
    id: str
    spec: list[dict[str, Any]]
    transports: list[Transport]


def make_route(rid: str, spec: Any, env: TransportEnv) -> Route:
    """Build a route from its JSON array of transport objects, raising `KkokError` if bad."""
    check_id("route", rid)
    if not isinstance(spec, list):
        raise KkokError(f"route {rid}: body must be a JSON array of transport objects")
    transports = [
        make_transport(t, env, owner=f"route {rid} transport {i}") for i, t in enumerate(spec)
    ]
    return Route(rid, [dict(t) for t in spec], transports)
