"""The request guard: one `before_request` check over every route, so no endpoint is forgotten.

With `[http] auth-enabled`, every request but ping and CORS pre-flights must carry credentials
(401 otherwise) and the user must hold the privilege the method needs on the path's resource (403).
Routes added later are covered without a word: nothing is listed per route. The user of the request
is `current_user()` (None when auth is off: nobody is authenticated then).
"""

from __future__ import annotations

import hmac
from typing import Any

from quart import Quart, Response, g, request, websocket

from kapacitrio.api.errors import ApiError
from kapacitrio.auth import crosssite
from kapacitrio.auth.credentials import Credentials, CredentialsError, parse
from kapacitrio.auth.privileges import (
    BASE,
    METHOD_PRIVILEGE,
    PREVIEW,
    AuthorizationError,
    Privilege,
    User,
    api_resource,
)
from kapacitrio.auth.service import AuthFailure, AuthService

#: Open to anyone, as in Kapacitor: liveness checks must work without credentials.
OPEN_PATHS = frozenset({f"{BASE}/ping", f"{PREVIEW}/ping"})
#: Resources only an admin may touch (they hand out or change every secret).
ADMIN_ONLY = ("/api/users", "/api/storage/backup")
OVERRIDE_HEADER = "X-HTTP-Method-Override"
#: The built-in UI's page and static files: code only, no data; its API calls are what is guarded.
UI_BLUEPRINT = "ui"


def current_user() -> User | None:
    """The authenticated user of this request; None when authentication is off."""
    return getattr(g, "kapacitrio_user", None)


def require_admin(what: str) -> None:
    """403 unless the request comes from an authenticated admin (never true with auth off)."""
    user = current_user()
    if user is None or not user.admin:
        who = "an unauthenticated request" if user is None else f"user {user.name}"
        raise ApiError(
            403,
            f"{what} requires an authenticated admin ([http] auth-enabled = true), not {who}",
        )


def _auth_service(services: Any) -> AuthService | None:
    svc = (getattr(services, "extra", None) or {}).get("auth")
    return svc if isinstance(svc, AuthService) else None


def _auth(app: Quart) -> AuthService | None:
    return _auth_service(app.config["KAPACITRIO_SERVICES"])


def _needed(method: str) -> Privilege:
    """The privilege a request needs; a POST overridden to another method needs that one too."""
    needed = METHOD_PRIVILEGE.get(method)
    if needed is None:
        raise ApiError(403, f'unknown method "{method}"')
    override = request.headers.get(OVERRIDE_HEADER, "").strip().upper()
    if method == "POST" and override and override != "POST":
        extra = METHOD_PRIVILEGE.get(override)
        if extra is None:
            raise ApiError(403, f'unknown method "{override}"')
        if extra != Privilege.NONE:
            needed |= extra
    return needed


def _kkok_token_ok(services: Any) -> bool:
    """A kkok API request carrying the kkok router's own token (kkok checks it again)."""
    router = getattr(services, "kkok", None)
    token = router.token() if router is not None else ""
    given = request.headers.get("Authorization", "")
    scheme, _, value = given.partition(" ")
    return (
        bool(token)
        and scheme.lower() == "bearer"
        and hmac.compare_digest(value.strip().encode(), token.encode())
    )


def _authorize(user: User, needed: Privilege | None = None, path: str | None = None) -> None:
    needed = _needed(request.method) if needed is None else needed
    path = request.path if path is None else path
    resource = api_resource(path)
    for privilege in Privilege:
        if not needed & privilege:
            continue
        if not user.admin and any(
            resource == r or resource.startswith(r + "/") for r in ADMIN_ONLY
        ):
            raise ApiError(403, f"user {user.name} is not an admin: {path} is for admins only")
        try:
            user.authorize(resource, privilege)
        except AuthorizationError as exc:
            raise ApiError(
                403,
                f'user {user.name} does not have "{exc.missing.label}" privilege for API '
                f'endpoint "{path}"',
            ) from None


def auth_off(services: Any) -> bool:
    """Whether authentication is off: not enabled in the config, so every request is let in."""
    svc = _auth_service(services)
    running = svc is not None and svc.enabled
    return not running and not services.config.http.auth_enabled


async def _check(app: Quart) -> None:
    svc = _auth(app)
    http = app.config["KAPACITRIO_SERVICES"].config.http
    crosssite.check_request(request, http.allowed_origins)
    if svc is None or not svc.enabled:
        if http.auth_enabled:  # the auth service failed to start: refuse rather than serve open
            raise ApiError(503, "authentication is enabled but the auth service is not running")
        return
    if request.path in OPEN_PATHS or request.method == "OPTIONS":
        return
    if request.blueprint == UI_BLUEPRINT and request.method in ("GET", "HEAD"):
        return
    if request.blueprint == "kkok" and _kkok_token_ok(app.config["KAPACITRIO_SERVICES"]):
        return
    try:
        creds = parse(request.headers, request.args)
        user = await svc.authenticate(creds)
    except (CredentialsError, AuthFailure) as exc:
        raise _unauthorized(str(exc)) from None
    _authorize(user)
    g.kapacitrio_user = user


async def _check_websocket(app: Quart) -> None:
    """A WebSocket (the alert feeds) from this site or an allowed origin, with read credentials.

    Browsers cannot set headers on a WebSocket, so besides the Authorization header (and `u`/`p`)
    a bearer token may come as the `token` query parameter; WebSocket paths are not logged.
    """
    http = app.config["KAPACITRIO_SERVICES"].config.http
    origin = websocket.headers.get("Origin")
    host = websocket.headers.get("Host", "")
    if origin and not crosssite.same_site(origin, host) and origin not in set(http.allowed_origins):
        raise ApiError(403, f"WebSocket from origin {origin} is not allowed")
    svc = _auth(app)
    if svc is None or not svc.enabled:
        if http.auth_enabled:
            raise ApiError(503, "authentication is enabled but the auth service is not running")
        return
    try:
        token = websocket.args.get("token", "")
        if token and not websocket.headers.get("Authorization"):
            creds = Credentials("bearer", token=token)
        else:
            creds = parse(websocket.headers, websocket.args)
        user = await svc.authenticate(creds)
    except (CredentialsError, AuthFailure) as exc:
        raise _unauthorized(str(exc)) from None
    _authorize(user, Privilege.READ, websocket.path)
    g.kapacitrio_user = user


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, message)


def install(app: Quart) -> None:
    """Guard every route of `app`, and send CORS headers for allowed origins only."""

    @app.before_request
    async def _guard() -> None:
        await _check(app)

    @app.before_websocket
    async def _guard_websocket() -> None:
        await _check_websocket(app)

    @app.after_request
    async def _cors(response: Response) -> Response:
        allowed = app.config["KAPACITRIO_SERVICES"].config.http.allowed_origins
        crosssite.cors_headers(request, response, allowed)
        return response
