"""`/replays`: replay a recording, or a batch task's queries or a query, against a task."""

from __future__ import annotations

from quart import Blueprint, Response, jsonify, request

from kapacitrio.api.app import no_content
from kapacitrio.api.errors import json_object
from kapacitrio.api.recordings import created, replay_service
from kapacitrio.replay.replays import REPLAY_FIELDS
from kapacitrio.tasks.params import list_params

bp = Blueprint("replays", __name__)


@bp.route("/replays", methods=["GET"])
async def list_replays() -> Response:
    params = list_params(request.args, REPLAY_FIELDS, [])
    return jsonify({"replays": await replay_service().list_replays(params)})


@bp.route("/replays", methods=["POST"])
async def create_replay() -> Response:
    return created(await replay_service().replay_recording(await json_object(request)))


@bp.route("/replays/batch", methods=["POST"])
async def replay_batch() -> Response:
    return created(await replay_service().replay_batch(await json_object(request)))


@bp.route("/replays/query", methods=["POST"])
async def replay_query() -> Response:
    return created(await replay_service().replay_query(await json_object(request)))


@bp.route("/replays/<replay_id>", methods=["GET"])
async def get_replay(replay_id: str) -> Response:
    view, running = await replay_service().get_replay(replay_id)
    response = jsonify(view)
    response.status_code = 202 if running else 200
    return response


@bp.route("/replays/<replay_id>", methods=["DELETE"])
async def delete_replay(replay_id: str) -> Response:
    await replay_service().delete_replay(replay_id)
    return no_content()
