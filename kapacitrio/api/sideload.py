"""`POST /sideload/reload`: reload the sources of every running sideload node."""

from __future__ import annotations

from quart import Blueprint, Response

from kapacitrio.api.app import no_content, services
from kapacitrio.api.errors import ApiError

bp = Blueprint("sideload", __name__)


@bp.route("/sideload/reload", methods=["POST"])
async def reload() -> Response:
    """Reload every sideload node's source; a failure is a 500 naming the task and node."""
    tm = services().taskmaster
    errors = []
    for task_id, task in list(getattr(tm, "tasks", {}).items()):
        for rt in task.runtimes("sideload"):
            try:
                await rt.reload()
            except Exception as exc:  # noqa: BLE001 - reported to the client
                errors.append(f"task {task_id}, node {rt.spec.name}: {exc}")
    if errors:
        raise ApiError(500, "failed to reload sideload sources: " + "; ".join(errors))
    return no_content()
