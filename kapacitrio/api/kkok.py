"""The kkok REST API at the root paths (`/version`, `/alerts`, `/filters`, `/routes`), text/plain errors."""

from __future__ import annotations

import functools
import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any

from quart import Blueprint, Response, request
from werkzeug.exceptions import HTTPException

from kapacitrio import __version__
from kapacitrio.api.app import services
from kapacitrio.api.errors import finite_float, reject_constant, scrub_surrogates
from kapacitrio.kkok.alert import alert_from_json
from kapacitrio.kkok.errors import KkokError
from kapacitrio.kkok.router import Router
from kapacitrio.models import gonumbers
from kapacitrio.models.timefmt import parse_rfc3339

bp = Blueprint("kkok", __name__)

#: Mounted only at `/`, never under `/kapacitor/v1`.
ROOT_ONLY = True

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"]
OVERRIDE_HEADER = "X-HTTP-Method-Override"
FILTER_ACTIONS = ("enable", "disable", "inactivate")


class _Unavailable(KkokError):
    status = 503


def text(status: int, message: str = "") -> Response:
    return Response(message, status=status, content_type="text/plain; charset=utf-8")


def json_response(doc: Any) -> Response:
    body = gonumbers.dumps(doc, ensure_ascii=False)  # kkok is Go: `979`, not `979.0`
    return Response(body, status=200, content_type="application/json")


def _router() -> Router:
    router = services().kkok
    if router is None:
        raise _Unavailable("the kkok router is not running")
    return router


def method() -> str:
    """The request's method, after `X-HTTP-Method-Override` on a POST."""
    override = request.headers.get(OVERRIDE_HEADER, "").strip()
    if request.method == "POST" and override:
        return override.upper()
    return request.method


def _check_token(router: Router) -> Response | None:
    token = router.token()
    if not token:
        return None
    given = request.headers.get("Authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode()):
        return None
    resp = text(401, "authentication required: send Authorization: Bearer TOKEN")
    resp.headers["WWW-Authenticate"] = 'Bearer realm="kkok"'
    return resp


def endpoint(
    *allowed: str, **path_values: tuple[str, ...]
) -> Callable[[Callable[..., Awaitable[Response]]], Callable[..., Awaitable[Response]]]:
    """Auth, the method check, then the handler; router errors become text/plain answers.

    `allowed` are the methods the route serves (HEAD with GET); `path_values` name the values a
    path parameter may take (anything else is a 400). Both are kept on the view for the OpenAPI
    route check.
    """

    def decorate(fn: Callable[..., Awaitable[Response]]) -> Callable[..., Awaitable[Response]]:
        @functools.wraps(fn)
        async def wrapper(**kwargs: Any) -> Response:
            try:
                await request.get_data()  # read (and cache) the body first: every answer drains it
                if fn.__name__ != "version":
                    denied = _check_token(_router())
                    if denied is not None:
                        return denied
                for name, values in path_values.items():
                    if kwargs.get(name) not in values:
                        return text(400, f"no such filter {name}: {kwargs.get(name)}")
                m = method()
                if m not in allowed and not (m == "HEAD" and "GET" in allowed):
                    return not_allowed(*allowed)
                return await fn(**kwargs)
            except KkokError as exc:
                return text(exc.status, str(exc))
            except HTTPException as exc:
                if exc.code == 413:
                    return text(413, "request body too large")
                return text(exc.code or 500, exc.description or exc.name)

        wrapper.allowed_methods = allowed  # type: ignore[attr-defined]
        wrapper.path_values = path_values  # type: ignore[attr-defined]
        return wrapper

    return decorate


def not_allowed(*allowed: str) -> Response:
    resp = text(405, f"method {method()} not allowed here; use {', '.join(allowed)}")
    resp.headers["Allow"] = ", ".join(allowed)
    return resp


async def json_body() -> Any:
    """The request's JSON body; it must be sent as `application/json`."""
    if request.mimetype != "application/json":
        raise _MediaType("Content-Type must be application/json")
    data = await request.get_data()
    try:
        return scrub_surrogates(
            json.loads(data, parse_float=finite_float, parse_constant=reject_constant)
        )
    except ValueError as exc:
        raise KkokError(f"invalid JSON body: {exc}") from None
    except RecursionError:
        raise KkokError("invalid JSON body: nested too deeply") from None


class _MediaType(KkokError):
    status = 415


# -- endpoints


@bp.route("/version", methods=ALL_METHODS)
@endpoint("GET")
async def version() -> Response:
    return text(200, __version__)


@bp.route("/alerts", methods=ALL_METHODS)
@endpoint("GET", "POST")
async def alerts() -> Response:
    router = _router()
    if method() in ("GET", "HEAD"):
        return json_response([a.to_json() for a in router.pending()])
    doc = await json_body()
    alert = alert_from_json(doc, now_ns=router.clock.now(), default_host=request.remote_addr or "")
    alert.routes, alert.sub = [], []  # filters set routes; only the group filter makes Sub
    await router.add_alert(alert)
    return text(200)


@bp.route("/filters", methods=ALL_METHODS)
@endpoint("GET")
async def filters() -> Response:
    return json_response(await _router().filter_ids())


@bp.route("/filters/<fid>", methods=ALL_METHODS)
@endpoint("GET", "PUT", "DELETE")
async def one_filter(fid: str) -> Response:
    router = _router()
    m = method()
    if m in ("GET", "HEAD"):
        flt = await router.get_filter(fid)
        return json_response(flt.to_json(router.clock.now()))
    if m == "PUT":
        await router.put_filter(fid, await json_body())
        return text(200)
    await router.delete_filter(fid)
    return text(200)


@bp.route("/filters/<fid>/<action>", methods=ALL_METHODS)
@endpoint("PUT", action=FILTER_ACTIONS)
async def filter_action(fid: str, action: str) -> Response:
    router = _router()
    if action == "inactivate":
        until = await _until()
        await router.inactivate_filter(fid, until)
    else:
        await router.enable_filter(fid, action == "enable")
    return text(200)


async def _until() -> int:
    doc = await json_body()
    if not isinstance(doc, dict) or "until" not in doc:
        raise KkokError('body must be a JSON object with "until" (an RFC3339 time)')
    value = doc["until"]
    if not isinstance(value, str):
        raise KkokError("until must be an RFC3339 time string")
    try:
        return parse_rfc3339(value)
    except ValueError:
        raise KkokError(f"until is not an RFC3339 time: {value!r}") from None


@bp.route("/routes", methods=ALL_METHODS)
@endpoint("GET")
async def routes() -> Response:
    return json_response(_router().route_ids())


@bp.route("/routes/<rid>", methods=ALL_METHODS)
@endpoint("GET", "PUT")
async def one_route(rid: str) -> Response:
    router = _router()
    if method() in ("GET", "HEAD"):
        return json_response(router.get_route(rid).spec)
    await router.put_route(rid, await json_body())
    return text(200)
