"""`/kapacitor/v1preview/cluster`: the members, where each task runs and each task feed's lag."""

from __future__ import annotations

import time

from quart import Blueprint, Response, jsonify

from kapacitrio.api.app import services
from kapacitrio.api.errors import ApiError
from kapacitrio.tasks.ids import TASKS

bp = Blueprint("cluster", __name__)
PREVIEW_ONLY = True


@bp.route("/cluster", methods=["GET"])
async def cluster_status() -> Response:
    svc = services()
    cluster = svc.extra.get("cluster")
    if cluster is None:
        raise ApiError(404, "clustering is not enabled")
    members = cluster.members
    now = time.time_ns()
    out_members = []
    lag: dict[str, dict[str, int]] = {}
    for name in members.names():
        rec = members.live[name]
        out_members.append(
            {
                "name": name,
                "url": rec.get("url", ""),
                "self": name == cluster.name,
                "last-heartbeat-ms": max(0, (now - int(rec.get("ts", now))) // 1_000_000),
                "tasks": rec.get("tasks", []),
            }
        )
        for task_id, info in (rec.get("lag") or {}).items():
            lag[task_id] = info
    tasks = []
    for doc in await svc.store.list(TASKS):
        enabled = doc.get("status") == "enabled"
        owner = members.owner(doc["id"]) if enabled else None
        running_on = [m["name"] for m in out_members if doc["id"] in m["tasks"]]
        tasks.append(
            {
                "id": doc["id"],
                "status": doc.get("status"),
                "instance": owner or "",
                "running-on": running_on,
                "lag": lag.get(doc["id"]),
            }
        )
    return jsonify(
        {
            "instance": cluster.name,
            "fenced": members.fenced,
            "nats-connected": cluster.link.connected,
            "kkok-leader": cluster.kkok_leader() or "",
            "members": out_members,
            "tasks": tasks,
        }
    )
