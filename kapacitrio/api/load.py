"""`POST /kapacitor/v1/load`: reload the load directory and say what it defined and what failed."""

from __future__ import annotations

from quart import Blueprint, Response, jsonify

from kapacitrio.api.app import services
from kapacitrio.api.errors import bad_request
from kapacitrio.load.service import LoadDisabled

bp = Blueprint("load", __name__)


@bp.route("/load", methods=["POST"])
async def reload() -> Response:
    """Load every file again; 200 with the ids loaded, removed and the files that failed."""
    svc = services().extra.get("load")
    try:
        if svc is None:
            raise LoadDisabled("load service is not enabled")
        report = await svc.load()
    except LoadDisabled as exc:
        raise bad_request(str(exc)) from None
    return jsonify(report.to_api())
