"""`/storage`: a consistent backup of the database, and index rebuilds per store."""

from __future__ import annotations

from quart import Blueprint, Response, current_app, request

from kapacitrio.api.app import no_content, services
from kapacitrio.api.errors import ApiError, json_object
from kapacitrio.tick.values import go_quote

bp = Blueprint("storage", __name__)

#: Stores that always exist, even before they hold anything.
KNOWN_STORES = ("tasks", "templates", "recordings", "replays", "topics", "handlers", "overrides")


@bp.route("/storage/backup", methods=["GET"])
async def backup() -> Response:
    data = await services().store.backup_bytes()
    response = current_app.response_class(data, content_type="application/octet-stream")
    response.headers["Content-Disposition"] = 'attachment; filename="kapacitrio.db"'
    return response


@bp.route("/storage/stores", methods=["GET"])
async def list_stores() -> Response:
    names = sorted(set(KNOWN_STORES) | set(await services().store.kinds()))
    return current_app.json.response({"stores": names})  # type: ignore[attr-defined]


@bp.route("/storage/stores/<name>", methods=["POST"])
async def store_action(name: str) -> Response:
    body = await json_object(request)
    store = services().store
    if name not in KNOWN_STORES and name not in await store.kinds():
        raise ApiError(404, f"unknown store {go_quote(name)}")
    action = body.get("action")
    if action != "rebuild":
        raise ApiError(400, f"unknown action {go_quote(str(action or ''))}")
    await store.reindex()
    return no_content()
