"""The service registry: what the server hands to the API, the engine and every service.

One `Services` object is built by `server.py`. The engine receives it as `services` in each task's
context, the API reads it from the app. Slots the alerting and kkok packages fill in
(`alerts`, `kkok`, ...) start as None; `extra` holds anything else by name.

Long-running services plug in through `PLUGINS`: each listed module defines
`async def start(services: Services, nursery: trio.Nursery) -> None`, which attaches itself to
`services` and starts its background work in `nursery` (the server's own). They start in list order
after storage and the TaskMaster, and before the stored tasks are started and HTTP opens. A module
may also define `async def ready(services: Services) -> None`, awaited once the stored enabled
tasks run and before HTTP opens.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kapacitrio.config import Config
    from kapacitrio.logs import LogHub
    from kapacitrio.storage.db import Store

#: Modules that plug a service into the server (see the module docstring). Add one line each.
PLUGINS: list[str] = [
    "kapacitrio.auth.service",
    "kapacitrio.configoverride.plugin",
    "kapacitrio.alerting.plugin",
    "kapacitrio.kkok.service",
    "kapacitrio.influxdb.service",
    "kapacitrio.replay.service",
    "kapacitrio.udf.service",
    "kapacitrio.load.service",
    "kapacitrio.udp.service",
    "kapacitrio.scraper.service",
]


@dataclass
class Services:
    """Everything a running server offers its parts."""

    config: Config
    store: Store
    logs: LogHub
    #: The engine's TaskMaster (`engine.taskmaster.TaskMaster`).
    taskmaster: Any = None
    #: Tasks and templates (`tasks.service.TaskService`; not imported here, so the registry
    #: depends on no service).
    tasks: Any = None
    #: Alert topics, events and handlers (`alerting.service.AlertService`).
    alerts: Any = None
    #: The kkok alert router.
    kkok: Any = None
    #: Recordings and replays.
    replay: Any = None
    #: InfluxDB clusters by name.
    influxdb: Any = None
    #: A shared `httpx.AsyncClient` for handlers and services, when one is started.
    http_client: Any = None
    #: Wall-clock nanoseconds when the server started (for `/debug/vars`).
    started_ns: int = 0
    #: Stable identifiers of this server (kept in storage across restarts).
    server_id: str = ""
    cluster_id: str = ""
    #: Anything else, by name.
    extra: dict[str, Any] = field(default_factory=dict)


def plugin_modules() -> list[ModuleType]:
    """Import every module in `PLUGINS` (skipping ones not written yet) and return them."""
    modules = []
    for name in PLUGINS:
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return modules
