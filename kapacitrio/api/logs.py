"""`GET /kapacitor/v1preview/logs`: tail the server's log, one entry per chunk, filtered by key=value.

`lvl=error` matches one level; `lvl=info+` that level and every more severe one, as in Kapacitor.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

from quart import Blueprint, Response, current_app, request

from kapacitrio.api.app import services
from kapacitrio.api.errors import bad_request
from kapacitrio.logs import format_json, format_logfmt, get_logger

bp = Blueprint("logs", __name__)
PREVIEW_ONLY = True

_log = get_logger("sessions")


@bp.route("/logs", methods=["GET"])
async def tail_logs() -> Response:
    if any(len(request.args.getlist(key)) != 1 for key in request.args):
        raise bad_request("query params cannot contain duplicate params")
    filters = {key: value for key, value in request.args.items()}
    content_type = request.headers.get("Content-Type", "")
    as_json = content_type.split(";")[0].strip().lower() == "application/json"
    render = format_json if as_json else format_logfmt
    hub = services().logs
    session = str(uuid.uuid4())

    async def entries() -> AsyncIterator[bytes]:
        with hub.subscribe(filters) as recv:
            _log.info(
                "created log session",
                id=session,
                **{"content-type": content_type},
                tags=",".join(f"{k}={v}" for k, v in filters.items()) or "nil",
            )
            try:
                async for entry in recv:
                    yield (render(entry) + "\n").encode()
            finally:
                _log.info("deleted log session", id=session)

    mime = "application/json" if as_json else "text/plain; charset=utf-8"
    response = current_app.response_class(entries(), content_type=mime)
    response.timeout = None
    return response
