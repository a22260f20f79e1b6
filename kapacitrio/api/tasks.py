"""`/tasks`: define, change, show, list and delete tasks, and read their httpOut endpoints."""

from __future__ import annotations

from quart import Blueprint, Response, jsonify, request

from kapacitrio.api.app import no_content, services
from kapacitrio.api.errors import ApiError, json_object
from kapacitrio.cluster.proxy import PROXIED, forward_get, remote_owner
from kapacitrio.cluster.taskviews import fill_from_owners
from kapacitrio.tasks.params import dot_view, list_params, script_format
from kapacitrio.tasks.service import TaskService
from kapacitrio.tasks.views import TASK_EXTRA_FIELDS, TASK_FIELDS

bp = Blueprint("tasks", __name__)


def _tasks() -> TaskService:
    svc = services().tasks
    if svc is None:
        raise ApiError(503, "the task service is not running")
    return svc


@bp.route("/tasks", methods=["GET"])
async def list_tasks() -> Response:
    params = list_params(request.args, TASK_FIELDS, TASK_EXTRA_FIELDS)
    docs = await _tasks().list_task_docs(params)
    views = _tasks().list_views(docs, params)
    cluster = services().extra.get("cluster")
    if cluster is None or request.headers.get(PROXIED):
        return jsonify({"tasks": views})
    ids = [d["id"] for d in docs]
    unreachable = await fill_from_owners(
        cluster, services().http_client, views, ids, params["fields"], request
    )
    body: dict = {"tasks": views}
    if unreachable:
        body["cluster"] = {"unreachable": unreachable}
    return jsonify(body)


@bp.route("/tasks", methods=["POST"])
async def create_task() -> Response:
    opts = await json_object(request)
    return jsonify(await _tasks().create_task(opts))


@bp.route("/tasks/<task_id>", methods=["GET"])
async def get_task(task_id: str) -> Response:
    fmt = script_format(request.args.get("script-format"))
    view = dot_view(request.args.get("dot-view"))
    replay_id = request.args.get("replay-id", "")
    if replay_id:
        replay = services().replay
        lookup = getattr(replay, "task_for_replay", None)
        if lookup is None:
            raise ApiError(404, f"replay {replay_id} does not exist")
        info = await lookup(replay_id, task_id, fmt, view)
        if info is None:
            raise ApiError(404, f"replay {replay_id} does not exist")
        return jsonify(info)
    view_doc = await _tasks().get_task(task_id, fmt, view)
    cluster = services().extra.get("cluster")
    if cluster is None:
        return jsonify(view_doc)
    remote = remote_owner(cluster, task_id, request.headers)
    if remote is not None:  # the owner has the stats
        got = await forward_get(
            services().http_client, remote[1], request.path, request.args, request.headers
        )
        if got is not None and got[0] == 200 and isinstance(got[1], dict):
            return jsonify(got[1])  # the owner's view, its "cluster" part included
    if cluster.placement is not None:
        view_doc["cluster"] = cluster.placement.info(task_id)
    return jsonify(view_doc)


@bp.route("/tasks/<task_id>", methods=["PATCH"])
async def update_task(task_id: str) -> Response:
    opts = await json_object(request)
    return jsonify(await _tasks().update_task(task_id, opts))


@bp.route("/tasks/<task_id>", methods=["DELETE"])
async def delete_task(task_id: str) -> Response:
    await _tasks().delete_task(task_id)
    return no_content()


@bp.route("/tasks/<task_id>/<path:endpoint>", methods=["GET"])
async def http_out(task_id: str, endpoint: str) -> Response:
    result = _tasks().http_out(task_id, endpoint)
    remote = remote_owner(services().extra.get("cluster"), task_id, request.headers)
    if result is None and remote is not None:
        got = await forward_get(
            services().http_client, remote[1], request.path, request.args, request.headers
        )
        if got is not None and got[0] == 200:
            return jsonify(got[1])
    if result is None:
        raise ApiError(404, "Not Found")
    return jsonify(result)
