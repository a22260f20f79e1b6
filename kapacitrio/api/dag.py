"""`POST /dag/layout` (preview API): box and edge positions for a task's DOT, for drawing it."""

from __future__ import annotations

from quart import Blueprint, Response, jsonify, request

from kapacitrio.api.errors import ApiError, json_object
from kapacitrio.ui.layout import LayoutError, layout

bp = Blueprint("dag", __name__)
PREVIEW_ONLY = True

ENGINES = ("auto", "graphviz", "layered")


@bp.route("/dag/layout", methods=["POST"])
async def dag_layout() -> Response:
    body = await json_object(request)
    text = body.get("dot")
    engine = body.get("engine", "auto")
    if not isinstance(text, str) or not isinstance(engine, str):
        raise ApiError(400, "invalid JSON")
    if engine not in ENGINES:
        raise ApiError(400, f"unknown layout engine {engine!r}, want one of {', '.join(ENGINES)}")
    try:
        return jsonify(await layout(text, engine))
    except LayoutError as exc:
        raise ApiError(400, str(exc)) from None
