"""Resolving an InfluxDB cluster name (`.cluster('name')`) to a client from the services."""

from __future__ import annotations

from typing import Any

from kapacitrio.influxdb.client import InfluxDBClient


def lookup(services: Any, name: str = "") -> InfluxDBClient | None:
    """The client for a cluster name ("" = default) from `services.influxdb`, if any."""
    registry = getattr(services, "influxdb", None) if services is not None else None
    if registry is None:
        return None
    if isinstance(registry, InfluxDBClient):
        return registry
    if hasattr(registry, "get") and not isinstance(registry, dict):
        return registry.get(name)
    if isinstance(registry, dict):
        if name:
            return registry.get(name)
        return next(iter(registry.values()), None)
    return None
