"""Miscellaneous endpoints: ping, the route list and debug vars."""

from __future__ import annotations

import os
import platform
import sys
import time

from quart import Blueprint, Response, current_app, jsonify

from kapacitrio import __version__
from kapacitrio.api import debugvars
from kapacitrio.api.app import KAPACITOR_VERSION, no_content, services
from kapacitrio.influxdb.subscriptions import num_subscriptions

bp = Blueprint("misc", __name__)


@bp.route("/ping", methods=["GET", "HEAD"])
async def ping() -> Response:
    return no_content()


@bp.route("/:routes", methods=["GET"])
async def routes() -> Response:
    """Every route pattern of the API with its methods (Kapacitor's `/:routes`)."""
    out: dict[str, list[str]] = {}
    for rule in current_app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        methods = sorted(m for m in (rule.methods or ()) if m not in ("HEAD", "OPTIONS"))
        merged = out.setdefault(rule.rule, [])
        merged.extend(m for m in methods if m not in merged)
    return jsonify(dict(sorted(out.items())))


async def _task_counts() -> tuple[int, int]:
    svc = services()
    if svc.tasks is None:
        return 0, 0
    return await svc.tasks.counts()


@bp.route("/debug/vars", methods=["GET"])
async def debug_vars() -> Response:
    """Runtime information and statistics, shaped like Kapacitor's expvar output."""
    svc = services()
    num_tasks, num_enabled = await _task_counts()
    body = {
        "cluster_id": svc.cluster_id,
        "server_id": svc.server_id,
        "host": svc.config.hostname,
        "product": "kapacitor",
        "version": KAPACITOR_VERSION,
        "kapacitrio_version": __version__,
        "platform": f"{platform.system()} {platform.machine()}",
        "python": sys.version.split()[0],
        "pid": os.getpid(),
        "uptime_seconds": max(0.0, time.time() - svc.started_ns / 1e9) if svc.started_ns else 0.0,
        "num_tasks": num_tasks,
        "num_enabled_tasks": num_enabled,
        "num_subscriptions": num_subscriptions(svc),
        "cmdline": sys.argv,
        "memstats": debugvars.memstats(),
        "kapacitor": debugvars.statistics(svc),
    }
    return jsonify(body)
