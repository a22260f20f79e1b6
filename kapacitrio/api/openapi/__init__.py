"""The OpenAPI 3.1 document of both HTTP APIs, served at `GET /kapacitor/v1preview/openapi.json`.

The document is built from the modules beside this one: `tasks`, `ops` and `pprof` (paths under
`/kapacitor/v1`, also served under `/kapacitor/v1preview`), `preview` (paths only the preview API
has), `kkok` (the kkok API and the web UI at the root) and `schemas` (the components).
`tests/server/test_openapi_routes.py` checks it against the app's routes.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from quart import Blueprint, Response, current_app

from kapacitrio import __version__
from kapacitrio.api.openapi import kkok, ops, pprof, preview, schemas, tasks
from kapacitrio.api.openapi.common import TEXT, kapacitor_errors, ok

bp = Blueprint("openapi", __name__)
PREVIEW_ONLY = True

BASE = "/kapacitor/v1"
PREVIEW = "/kapacitor/v1preview"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
#: Paths every client may call without credentials.
OPEN = {f"{BASE}/ping", f"{PREVIEW}/ping"}


def _with_auth(path: str, item: dict[str, Any], kkok_api: bool) -> dict[str, Any]:
    """Add the answers to a request without (or with insufficient) credentials."""
    if path in OPEN:
        return item
    for method in METHODS:
        op = item.get(method)
        if op is None:
            continue
        responses = op["responses"]
        if kkok_api:
            responses.setdefault(
                "401", ok("The kkok API token is required", {"type": "string"}, TEXT)
            )
        else:
            for code, answer in kapacitor_errors(401, 403).items():
                responses.setdefault(code, answer)
    return item


def _mirror(item: dict[str, Any], prefix: str) -> dict[str, Any]:
    """A copy of a path item whose operation ids carry `prefix`."""
    out = copy.deepcopy(item)
    for method in METHODS:
        if method in out:
            out[method]["operationId"] = prefix + out[method]["operationId"]
    return out


def _paths() -> dict[str, Any]:
    out: dict[str, Any] = {}
    kapacitor = {**tasks.paths(), **ops.paths(), **pprof.paths()}
    for path, item in kapacitor.items():
        out[BASE + path] = item
    for path, item in kapacitor.items():
        out[PREVIEW + path] = _mirror(item, "preview_")
    for path, item in preview.paths().items():
        out[PREVIEW + path] = item
    out["/write"] = _mirror(kapacitor["/write"], "root_")
    out.update(kkok.paths())
    return {
        path: _with_headers(_with_auth(path, item, kkok.is_kkok_api(path)))
        for path, item in out.items()
    }


#: Headers every HTTP answer carries (the WebSocket upgrade aside).
HEADERS = {
    "X-Kapacitor-Version": {
        "description": "The Kapacitor version this server speaks",
        "required": True,
        "schema": {"type": "string", "minLength": 1},
    },
    "Request-Id": {
        "description": "The request's `Request-Id` header, or a new UUID",
        "required": True,
        "schema": {"type": "string", "minLength": 1},
    },
}


def _with_headers(item: dict[str, Any]) -> dict[str, Any]:
    for method in METHODS:
        for code, answer in item.get(method, {}).get("responses", {}).items():
            if code != "101":
                answer.setdefault("headers", {}).update(
                    {name: {"$ref": f"#/components/headers/{name}"} for name in HEADERS}
                )
    return item


@functools.cache
def _document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "kapacitrio",
            "version": __version__,
            "description": (
                "Kapacitor's HTTP API (under /kapacitor/v1, and /kapacitor/v1preview with the "
                "preview additions) and the kkok alert router's REST API (at the root). Kapacitor "
                'API errors are JSON {"error": "..."}; kkok API errors are text/plain.'
            ),
        },
        "servers": [{"url": "http://localhost:9092"}],
        "security": [{}, {"basicAuth": []}, {"bearerAuth": []}],
        "paths": _paths(),
        "components": {
            "schemas": {**schemas.KAPACITOR, **schemas.KKOK},
            "headers": HEADERS,
            "securitySchemes": {
                "basicAuth": {"type": "http", "scheme": "basic"},
                "bearerAuth": {"type": "http", "scheme": "bearer"},
            },
        },
    }


def document() -> dict[str, Any]:
    """The OpenAPI document (a fresh copy: callers may change it)."""
    return copy.deepcopy(_document())


@bp.route("/openapi.json", methods=["GET"])
async def openapi_json() -> Response:
    return current_app.json.response(_document())  # type: ignore[attr-defined]
