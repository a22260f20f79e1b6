"""`/recordings`: start stream, batch and query recordings; show, list and delete them."""

from __future__ import annotations

from quart import Blueprint, Response, jsonify, request

from kapacitrio.api.app import no_content, services
from kapacitrio.api.errors import ApiError, json_object
from kapacitrio.replay.recordings import RECORDING_FIELDS
from kapacitrio.replay.service import ReplayService
from kapacitrio.tasks.params import list_params

bp = Blueprint("recordings", __name__)


def replay_service() -> ReplayService:
    svc = services().replay
    if svc is None:
        raise ApiError(503, "the replay service is not running")
    return svc


def created(view: dict) -> Response:
    response = jsonify(view)
    response.status_code = 201
    return response


@bp.route("/recordings", methods=["GET"])
async def list_recordings() -> Response:
    params = list_params(request.args, RECORDING_FIELDS, [])
    return jsonify({"recordings": await replay_service().list_recordings(params)})


@bp.route("/recordings/stream", methods=["POST"])
async def record_stream() -> Response:
    return created(await replay_service().record_stream(await json_object(request)))


@bp.route("/recordings/batch", methods=["POST"])
async def record_batch() -> Response:
    return created(await replay_service().record_batch(await json_object(request)))


@bp.route("/recordings/query", methods=["POST"])
async def record_query() -> Response:
    return created(await replay_service().record_query(await json_object(request)))


@bp.route("/recordings/<recording_id>", methods=["GET"])
async def get_recording(recording_id: str) -> Response:
    view, running = await replay_service().get_recording(recording_id)
    response = jsonify(view)
    response.status_code = 202 if running else 200
    return response


@bp.route("/recordings/<recording_id>", methods=["DELETE"])
async def delete_recording(recording_id: str) -> Response:
    await replay_service().delete_recording(recording_id)
    return no_content()
