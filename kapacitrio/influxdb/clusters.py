"""Resolving an InfluxDB cluster name (`.cluster('name')`) to a client from the services."""

from __future__ import annotations

from typing import Any

from kapacitrio.influxdb.client import InfluxDBClient


class Clusters:
    """Named InfluxDB clients with one default (the `[[influxdb]]` entry marked `default`)."""

    def __init__(self, clients: dict[str, InfluxDBClient] | None = None, default: str = "") -> None:
        self.clients = dict(clients or {})
        self.default = default or next(iter(self.clients), "")

    def get(self, name: str = "") -> InfluxDBClient | None:
        return self.clients.get(name or self.default)


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
