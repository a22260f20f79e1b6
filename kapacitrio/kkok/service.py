"""The server plugin: builds the router from `[kkok]`, restores its state, runs rounds and sources."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import trio

from kapacitrio.config import ConfigError, host_port
from kapacitrio.kkok.clock import WallClock
from kapacitrio.kkok.errors import KkokError
from kapacitrio.kkok.router import Router
from kapacitrio.kkok.settings import KkokConfig
from kapacitrio.kkok.sources import make_source
from kapacitrio.logs import get_logger

if TYPE_CHECKING:
    from kapacitrio.services import Services

log = get_logger("kkok")

#: The running server's router, for the `kkok` alert handler kind (one server per process).
_CURRENT: list[Router] = []


def current_router() -> Router | None:
    """The router of the server running in this process, if any."""
    return _CURRENT[-1] if _CURRENT else None


def build_router(cfg: KkokConfig, *, store: Any, services: Any = None) -> Router:
    """A router with the file's static filters and routes (raising `ConfigError` when bad)."""
    router = Router(
        clock=WallClock(),
        store=store,
        initial_interval=cfg.initial_interval,
        max_interval=cfg.max_interval,
        js_time_limit=cfg.js_time_limit,
        services=services,
        api_token=cfg.api_token,
        settings=(lambda: services.config.get("kkok")) if services is not None else None,
    )
    try:
        for params in cfg.filters:
            router.add_static_filter(params)
        for rid, spec in cfg.routes.items():
            router.add_static_route(rid, spec)
    except KkokError as exc:
        raise ConfigError(f"invalid [kkok] section: {exc}") from None
    return router


async def start(services: Services, nursery: trio.Nursery) -> None:
    """Plugin entry point (see `kapacitrio.services`)."""
    cfg: KkokConfig = services.config.get("kkok")
    if not cfg.enabled:
        return
    router = build_router(cfg, store=services.store, services=services)
    await router.load()
    sources = []
    try:
        sources = [make_source(spec, router) for spec in cfg.sources]
    except KkokError as exc:
        raise ConfigError(f"invalid [kkok] section: {exc}") from None
    services.kkok = router
    _CURRENT[:] = [router]
    await nursery.start(router.run)
    for source in sources:
        await nursery.start(source.run)
    if cfg.bind_address:
        await _start_listener(services, nursery, cfg.bind_address)


async def _start_listener(services: Services, nursery: trio.Nursery, bind: str) -> None:
    """Start kkok's own listener; when it cannot bind, the API stays at the main server's root."""
    try:
        binds = await nursery.start(serve_kkok_api, services, bind)
    except* OSError as group:
        err = "; ".join(_leaves(group))
        log.error("kkok API listener not started", bind=bind, err=err)
    else:
        log.info("kkok API listening", addr=",".join(binds))


def _leaves(exc: BaseException) -> list[str]:
    if isinstance(exc, BaseExceptionGroup):
        return [text for sub in exc.exceptions for text in _leaves(sub)]
    return [str(exc)]


async def serve_kkok_api(
    services: Services, bind: str, *, task_status: Any = trio.TASK_STATUS_IGNORED
) -> None:
    """Serve the kkok API alone on `bind` (kkok's own port), beside the main server."""
    from hypercorn.config import Config as HypercornConfig
    from hypercorn.trio import serve
    from quart_trio import QuartTrio

    from kapacitrio.api import kkok as kkok_api
    from kapacitrio.api.bodydrain import settle_request_body

    app = QuartTrio("kapacitrio-kkok")
    app.config["KAPACITRIO_SERVICES"] = services
    app.config["MAX_CONTENT_LENGTH"] = services.config.http.max_body_size or None
    app.register_blueprint(kkok_api.bp, url_prefix="")
    app.after_request(settle_request_body)
    host, port = host_port(bind)
    hc = HypercornConfig()
    hc.bind = [f"[{host}]:{port}" if ":" in host else f"{host or '0.0.0.0'}:{port}"]
    hc.accesslog = None
    hc.errorlog = logging.getLogger("hypercorn.error")
    hc.include_server_header = False
    await serve(app, hc, shutdown_trigger=trio.sleep_forever, task_status=task_status)
