"""`POST /kapacitor/v1/loglevel {"level": "debug"}`: change the server's log level while it runs."""

from __future__ import annotations

import json

from quart import Blueprint, Response, request

from kapacitrio import logs
from kapacitrio.api.app import no_content
from kapacitrio.api.errors import bad_request

bp = Blueprint("loglevel", __name__)

#: The levels Kapacitor's API accepts, in any case.
NAMES = ("DEBUG", "INFO", "WARN", "ERROR")


@bp.route("/loglevel", methods=["POST"])
async def set_log_level() -> Response:
    data = await request.get_data()
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        reason = "EOF" if not data.strip() else str(exc)
        raise bad_request(f"invalid json: {reason}") from None
    level = body.get("level") if isinstance(body, dict) else None
    if not isinstance(body, dict) or (level is not None and not isinstance(level, str)):
        raise bad_request("invalid json: expected an object with a string level")
    if not isinstance(level, str) or level.upper() not in NAMES:
        raise bad_request("invalid log level")
    logs.set_level(level.lower())
    return no_content()
