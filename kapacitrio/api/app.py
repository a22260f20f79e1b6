"""The Quart-Trio application: blueprints under `/kapacitor/v1` and `/kapacitor/v1preview`.

Each API area is a module in `kapacitrio/api/` with a `bp` Blueprint whose routes are relative to
the base path (`/tasks`, `/ping`). A module may set `PREVIEW_ONLY = True` (mounted only under
`/kapacitor/v1preview`) and `ROOT_ROUTES = True` (also mounted at `/`, as `/write` is). List each
module once in `BLUEPRINTS`. Handlers reach the server's `Services` with `services()`. Every route
is described in the OpenAPI document (`kapacitrio/api/openapi/`); tests/server/test_openapi_routes.py
fails on a route that is not, and on a documented one that does not exist.
"""

from __future__ import annotations

import importlib
import time
from typing import TYPE_CHECKING, Any

from quart import Response, current_app, request
from quart_trio import QuartTrio

from kapacitrio.api import accesslog, errors, fastwrite, keepalive
from kapacitrio.api.accesslog import KAPACITOR_VERSION
from kapacitrio.api.bodydrain import settle_request_body
from kapacitrio.api.jsonprovider import GoJSONProvider
from kapacitrio.auth import guard as auth_guard

if TYPE_CHECKING:
    from kapacitrio.services import Services

BASE = "/kapacitor/v1"
PREVIEW = "/kapacitor/v1preview"

#: API areas, by module name under kapacitrio.api (modules not written yet are skipped).
BLUEPRINTS = [
    "misc",
    "write",
    "tasks",
    "templates",
    "logs",
    "loglevel",
    "storage",
    "recordings",
    "replays",
    "alerts",
    "config",
    "servicetests",
    "kkok",
    "feeds",
    "sideload",
    "subscriptions",
    "users",
    "load",
    "tickcheck",
    "dag",
    "ui",
    "openapi",
    "pprof",
    "cluster",
]


def services() -> Services:
    """The server's service registry, from inside a request."""
    return current_app.config["KAPACITRIO_SERVICES"]


def no_content() -> Response:
    """An empty 204 response."""
    response = current_app.response_class(status=204)
    response.headers.pop("Content-Type", None)
    return response


def _load_blueprint_modules() -> list[Any]:
    modules = []
    for name in BLUEPRINTS:
        full = f"kapacitrio.api.{name}"
        try:
            modules.append(importlib.import_module(full))
        except ModuleNotFoundError as exc:
            if exc.name != full:
                raise
    return modules


def create_app(server: Services) -> QuartTrio:
    """Build the app for a server's services."""
    app = QuartTrio("kapacitrio")
    app.config["KAPACITRIO_SERVICES"] = server
    app.config["MAX_CONTENT_LENGTH"] = server.config.http.max_body_size or None
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.config["RESPONSE_TIMEOUT"] = None  # log tails stream for as long as the client stays
    app.json = GoJSONProvider(app)
    app.url_map.strict_slashes = False
    errors.install(app)
    app.after_request(settle_request_body)
    for module in _load_blueprint_modules():
        bp = module.bp
        if getattr(module, "ROOT_ONLY", False):  # mounted at / alone (the kkok API)
            app.register_blueprint(bp, url_prefix="")
            continue
        if not getattr(module, "PREVIEW_ONLY", False):
            app.register_blueprint(bp, url_prefix=BASE)
        app.register_blueprint(bp, url_prefix=PREVIEW, name=f"{bp.name}_preview")
        if getattr(module, "ROOT_ROUTES", False):
            app.register_blueprint(bp, url_prefix="", name=f"{bp.name}_root")
    _install_hooks(app, server)
    auth_guard.install(app)  # every route but ping needs credentials when auth is on; CORS
    app.asgi_app = keepalive.guard(fastwrite.lane(app.asgi_app, server))  # type: ignore[method-assign]
    return app


def _install_hooks(app: QuartTrio, server: Services) -> None:
    log_requests = server.config.http.log_enabled

    @app.before_request
    async def _start() -> None:
        request.environ_start = time.perf_counter()  # type: ignore[attr-defined]

    @app.after_request
    async def _headers(response: Response) -> Response:
        response.headers["X-Kapacitor-Version"] = KAPACITOR_VERSION
        rid = accesslog.request_id(request.headers.get("Request-Id"))
        response.headers["Request-Id"] = rid
        if log_requests:
            accesslog.log_request(
                host=request.remote_addr or "",
                method=request.method,
                uri=request.full_path.rstrip("?"),
                protocol=f"HTTP/{request.http_version}",
                status=response.status_code,
                referer=request.referrer or "",
                user_agent=request.user_agent.string,
                rid=rid,
                start=getattr(request, "environ_start", None),
            )
        return response
