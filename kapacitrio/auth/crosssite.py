"""Cross-site rules: CORS only for `[http] allowed-origins`, and no non-JSON writes from other sites.

A web page on another site can send a "simple" request (a POST with `text/plain` or a form body)
without any CORS pre-flight; if the API took it, any page a user visits could create tasks and
handlers. So a mutating request that carries the `Origin` of another site must be JSON (which a
browser only sends cross-site after a pre-flight that CORS then refuses), else it gets a 415.
`/write` (line protocol) and the kkok API (whose clients are not browsers) are left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from quart import Request, Response

from kapacitrio.api.errors import ApiError

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Paths whose bodies are not JSON by design.
EXEMPT_PATHS = frozenset({"/write", "/kapacitor/v1/write", "/kapacitor/v1preview/write"})
EXEMPT_BLUEPRINTS = frozenset({"kkok"})

CORS_METHODS = "DELETE, GET, OPTIONS, POST, PATCH"
CORS_HEADERS = (
    "Accept, Accept-Encoding, Authorization, Content-Length, Content-Type, X-CSRF-Token, "
    "X-HTTP-Method-Override"
)


def same_site(origin: str, host: str) -> bool:
    try:
        netloc = urlsplit(origin).netloc
    except ValueError:
        return False
    return bool(netloc) and netloc.lower() == host.lower()


def _is_json(content_type: str) -> bool:
    mime = content_type.split(";", 1)[0].strip().lower()
    return mime == "application/json" or (
        mime.startswith("application/") and mime.endswith("+json")
    )


def check_request(request: Request, allowed: Iterable[str]) -> None:
    """Raise a 415 for a cross-site, non-JSON, mutating request (see the module docstring)."""
    origin = request.headers.get("Origin")
    if not origin or request.method not in MUTATING:
        return
    if request.path.rstrip("/") in EXEMPT_PATHS or request.blueprint in EXEMPT_BLUEPRINTS:
        return
    if same_site(origin, request.headers.get("Host", "")):
        return
    if _is_json(request.headers.get("Content-Type", "")):
        return
    if request.method == "DELETE" and origin in set(allowed):
        return  # a body-less DELETE from an allowed origin passed a CORS pre-flight
    raise ApiError(
        415,
        f"unsupported content type {request.headers.get('Content-Type', '')!r} for a "
        f"cross-site request from {origin}: send application/json",
    )


def cors_headers(request: Request, response: Response, allowed: Iterable[str]) -> None:
    """CORS headers for an allowed `Origin` only; a pre-flight always gets an empty 204."""
    origin = request.headers.get("Origin")
    if origin and origin in set(allowed):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
        response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.vary.add("Origin")
    if request.method == "OPTIONS" and response.status_code == 200:
        response.status_code = 204
