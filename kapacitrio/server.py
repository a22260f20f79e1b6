"""The composition root: storage, engine, services and HTTP in one nursery, started in order.

`run_server(config)` opens the database, builds the `Services` registry, starts the TaskMaster and
every plugin service in the server's nursery, starts the stored enabled tasks, then serves the API
with hypercorn's trio worker. When `shutdown` is set, HTTP stops first (open requests get the
configured `[http] shutdown-timeout`), then every task and service is cancelled and the database is
closed.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

import httpx
import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve as hypercorn_serve

from kapacitrio import __version__, logs
from kapacitrio.cluster.service import open_cluster
from kapacitrio.config import Config, duration_ns, host_port
from kapacitrio.gcpolicy import tune_for_server
from kapacitrio.services import Services, plugin_modules
from kapacitrio.storage.db import Store, open_store

_log = logs.get_logger("server")


async def _server_ids(store: Store) -> tuple[str, str]:
    """This server's ids, made once and kept in storage."""
    doc = await store.get("server", "ids")
    if doc is None:
        doc = {"server_id": str(uuid.uuid4()), "cluster_id": str(uuid.uuid4())}
        await store.put("server", "ids", doc)
    return doc["server_id"], doc["cluster_id"]


def _hypercorn_config(cfg: Config) -> HypercornConfig:
    host, port = host_port(cfg.http.bind_address)
    hc = HypercornConfig()
    hc.bind = [f"[{host}]:{port}" if ":" in host else f"{host or '0.0.0.0'}:{port}"]
    hc.accesslog = None
    hc.errorlog = logging.getLogger("hypercorn.error")
    hc.graceful_timeout = duration_ns(cfg.http.shutdown_timeout) / 1e9
    hc.keep_alive_timeout = 75
    hc.include_server_header = False
    if cfg.http.https_enabled:  # readable and valid: checked by kapacitrio.auth before the start
        hc.certfile = cfg.http.https_certificate
        hc.keyfile = cfg.http.https_private_key or cfg.http.https_certificate
    return hc


async def _start_engine(services: Services, nursery: trio.Nursery) -> None:
    """Create the engine's TaskMaster and start it in the server's nursery."""
    from kapacitrio.engine.clock import WallClock
    from kapacitrio.engine.taskmaster import TaskMaster

    tm = TaskMaster(WallClock(), services=services)
    run = getattr(tm, "run", None)
    if run is not None:
        await nursery.start(run)
    services.taskmaster = tm


async def _serve_http(
    services: Services, shutdown: trio.Event, *, task_status: Any = trio.TASK_STATUS_IGNORED
) -> None:
    from kapacitrio.api.app import create_app

    app = create_app(services)
    hc = _hypercorn_config(services.config)
    await hypercorn_serve(app, hc, shutdown_trigger=shutdown.wait, task_status=task_status)


async def run_server(
    cfg: Config,
    shutdown: trio.Event | None = None,
    *,
    task_status: Any = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run the whole server until `shutdown` is set (or forever); `task_status` gets the bound URLs."""
    shutdown = trio.Event() if shutdown is None else shutdown
    for warning in cfg.warnings:
        _log.warning(warning)
    _log.info(
        "kapacitrio starting",
        version=__version__,
        config=cfg.path or "(defaults)",
        data_dir=cfg.data_dir,
    )
    async with (
        open_store(cfg.db_path) as local_store,
        httpx.AsyncClient(timeout=30.0) as client,
        open_cluster(cfg, local_store) as cluster,
    ):
        store = local_store if cluster is None else cluster.store
        services = Services(config=cfg, store=store, logs=logs.HUB, started_ns=time.time_ns())
        services.http_client = client
        services.server_id, services.cluster_id = await _server_ids(store)
        if cluster is not None:
            services.extra["cluster"] = cluster
            services.cluster_id = await cluster.cluster_id(services.cluster_id)
        async with trio.open_nursery() as nursery:
            await _start_engine(services, nursery)
            from kapacitrio.tasks.service import TaskService

            services.tasks = TaskService(services)
            await nursery.start(services.tasks.run)
            plugins = plugin_modules()
            for plugin in plugins:
                await plugin.start(services, nursery)
            if cluster is not None:  # tasks start where placement puts them
                await cluster.start(services, nursery)
            else:
                await services.tasks.start_enabled()
            for plugin in plugins:
                if hasattr(plugin, "ready"):
                    await plugin.ready(services)
            async with trio.open_nursery() as http_nursery:
                binds = await http_nursery.start(_serve_http, services, shutdown)
                _log.info("listening", addr=",".join(binds))
                tune_for_server()
                task_status.started(binds)
                await shutdown.wait()
                _log.info("shutting down")
                services.logs.close_all()
            # HTTP has drained; stop the tasks and services.
            if cluster is not None:
                await cluster.stop()  # hand this member's tasks over, drained and checkpointed
            nursery.cancel_scope.cancel()
    _log.info("kapacitrio stopped")
