"""Plugs the alert service into the server: built from config and storage, run in the server's nursery."""

from __future__ import annotations

from typing import Any

import trio

from kapacitrio.alerting import handlers
from kapacitrio.alerting.service import AlertService

# Handler modules register their config sections; they must be known before the config is read.
handlers.load_all()


def _server_url(services: Any) -> str:
    try:
        bind = services.config.http.bind_address
        host, _, port = bind.rpartition(":")
        host = host.strip("[]") or services.config.hostname or "localhost"
        scheme = "https" if services.config.http.https_enabled else "http"
        return f"{scheme}://{host}:{port}"
    except Exception:
        return "http://localhost:9092"


async def start(services: Any, nursery: trio.Nursery) -> None:
    """Plugin entry point (see `kapacitrio.services`)."""
    service = AlertService(
        services.store,
        config=services.config.get,
        server_url=_server_url(services),
    )
    service.hostname = getattr(services.config, "hostname", "localhost")
    service.cluster_id = getattr(services, "cluster_id", "")
    service.server_id = getattr(services, "server_id", "")
    if getattr(services, "http_client", None) is not None:
        service.env.http_client = services.http_client
    await nursery.start(service.run)
    services.alerts = service
