"""API errors: every failure becomes JSON `{"error": "..."}` with the right status, never a bare 500.

Requests to the kkok API (its blueprint, mounted at the root) get the same statuses as text/plain,
as kkok answers, whatever raised the error (a handler, the auth guard, an unexpected exception).

Raise `ApiError(status, message)` from a handler. Any exception with an integer `http_status`
attribute is treated the same way, so service layers can raise their own errors without importing
the API. Anything unexpected is logged with its traceback and answered with a JSON 500.
"""

from __future__ import annotations

import json
import math
from typing import Any

from quart import Quart, Response, current_app, has_request_context, request
from werkzeug.exceptions import HTTPException

from kapacitrio.logs import get_logger

_log = get_logger("http")


class ApiError(Exception):
    """An error to return to the client: `status` and Kapacitor's message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.http_status = status
        self.message = message


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def not_found(message: str) -> ApiError:
    return ApiError(404, message)


#: The content type of a JSON error body.
JSON_CONTENT_TYPE = "application/json; charset=utf-8"

#: The blueprint whose errors are text/plain (kapacitrio.api.kkok).
TEXT_BLUEPRINT = "kkok"


def error_response(status: int, message: str) -> Response:
    """The JSON error body Kapacitor sends (text/plain on the kkok API)."""
    if has_request_context() and request.blueprint == TEXT_BLUEPRINT:
        return current_app.response_class(
            message.encode("utf-8", "replace"),
            status=status,
            content_type="text/plain; charset=utf-8",
        )
    return current_app.response_class(
        json_error_body(message),
        status=status,
        content_type=JSON_CONTENT_TYPE,
    )


async def _handle_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    if status == 404:
        message = "Not Found"
    elif status == 405:
        message = "Method Not Allowed"
    elif status == 413:
        message = "request body too large"
    else:
        message = exc.description or exc.name
    return error_response(status, message)


def json_error_body(message: str) -> bytes:
    """Kapacitor's JSON error body, `{"error": message}` indented by four spaces."""
    return json.dumps({"error": message}, indent=4, ensure_ascii=False).encode("utf-8", "replace")


def answer_for(exc: Exception) -> tuple[int, str]:
    """The status and message for an exception: its own `http_status`, else a logged 500."""
    status = getattr(exc, "http_status", None)
    if isinstance(status, int):
        return status, getattr(exc, "message", None) or str(exc)
    _log.error("unhandled error in request", err=f"{type(exc).__name__}: {exc}", exc_info=exc)
    return 500, f"internal error: {type(exc).__name__}: {exc}"


async def _handle_exception(exc: Exception) -> Response:
    if isinstance(exc, HTTPException) and not isinstance(getattr(exc, "http_status", None), int):
        return await _handle_http_exception(exc)
    return error_response(*answer_for(exc))


def install(app: Quart) -> None:
    """Register the JSON error handlers on an app."""
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(Exception, _handle_exception)


async def json_body(request: Any, *, required: bool = True) -> Any:
    """Decode the request body as JSON, or raise Kapacitor's `invalid JSON` 400."""
    data = await request.get_data()
    if not data.strip():
        if required:
            raise bad_request("invalid JSON")
        return {}
    try:
        return scrub_surrogates(
            json.loads(data, parse_constant=reject_constant, parse_float=finite_float)
        )
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise bad_request("invalid JSON") from None


def reject_constant(name: str) -> Any:
    """JSON has no NaN or Infinity (Go's decoder refuses them too)."""
    raise ValueError(f"invalid JSON constant {name}")


def finite_float(text: str) -> float:
    """A JSON number as a float; one past float64's range (`1e400`) is refused, as Go does."""
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text} is out of range")
    return value


def _is_surrogate(c: str) -> bool:
    return "\ud800" <= c <= "\udfff"


def scrub_surrogates(value: Any) -> Any:
    """Replace lone UTF-16 surrogates (from `\\ud800` escapes) with U+FFFD, as Go's decoder does."""
    if isinstance(value, str):
        if any(_is_surrogate(c) for c in value):
            return "".join("\ufffd" if _is_surrogate(c) else c for c in value)
        return value
    if isinstance(value, list):
        return [scrub_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {scrub_surrogates(k): scrub_surrogates(v) for k, v in value.items()}
    return value


async def json_object(request: Any) -> dict[str, Any]:
    """Decode the request body as a JSON object; anything else is Kapacitor's `invalid JSON`."""
    body = await json_body(request)
    if not isinstance(body, dict):
        raise bad_request("invalid JSON")
    return body
