"""`/templates`: define, change, show, list and delete task templates."""

from __future__ import annotations

from quart import Blueprint, Response, jsonify, request

from kapacitrio.api.app import no_content, services
from kapacitrio.api.errors import ApiError, json_object
from kapacitrio.tasks.params import list_params, script_format
from kapacitrio.tasks.service import TaskService
from kapacitrio.tasks.views import TEMPLATE_EXTRA_FIELDS, TEMPLATE_FIELDS

bp = Blueprint("templates", __name__)


def _tasks() -> TaskService:
    svc = services().tasks
    if svc is None:
        raise ApiError(503, "the task service is not running")
    return svc


@bp.route("/templates", methods=["GET"])
async def list_templates() -> Response:
    params = list_params(request.args, TEMPLATE_FIELDS, TEMPLATE_EXTRA_FIELDS)
    return jsonify({"templates": await _tasks().list_templates(params)})


@bp.route("/templates", methods=["POST"])
async def create_template() -> Response:
    opts = await json_object(request)
    return jsonify(await _tasks().create_template(opts))


@bp.route("/templates/<template_id>", methods=["GET"])
async def get_template(template_id: str) -> Response:
    fmt = script_format(request.args.get("script-format"))
    return jsonify(await _tasks().get_template(template_id, fmt))


@bp.route("/templates/<template_id>", methods=["PATCH"])
async def update_template(template_id: str) -> Response:
    opts = await json_object(request)
    return jsonify(await _tasks().update_template(template_id, opts))


@bp.route("/templates/<template_id>", methods=["DELETE"])
async def delete_template(template_id: str) -> Response:
    await _tasks().delete_template(template_id)
    return no_content()
