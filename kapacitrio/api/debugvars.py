"""`/debug/vars` statistics in Kapacitor's expvar shape: `{"name", "tags", "values"}` entries.

Entries (under the body's `"kapacitor"` key): `ingress` per db/rp/measurement written to the main
task master, the task master's `write_points -> stream` edge, `nodes` and `edges` per running task,
`topics` per alert topic, `load` for the load directory and the inputs' own (udp, scrapers). Every entry's tags carry `cluster_id`, `server_id` and `host`, as Kapacitor's do.
Keys are readable (`ingress:database=db,...`) where Kapacitor's are random UUIDs: clients such as
Telegraf read only the entries, and a stable key is easier to follow.
"""

from __future__ import annotations

import gc
import os
import re
import resource
from typing import Any

from kapacitrio.tick.values import go_duration

#: The task master every live task runs in (replays have their own, not reported here).
MAIN = "main"

_TRAILING_ID = re.compile(r"\d+$")


def _entry(name: str, tags: dict[str, str], values: dict[str, Any], base: dict[str, str]):
    key = name + ":" + ",".join(f"{k}={v}" for k, v in sorted(tags.items()))
    return key, {"name": name, "tags": {**tags, **base}, "values": values}


def statistics(svc: Any) -> dict[str, Any]:
    """Every statistic entry of a running server, keyed as in the body's `"kapacitor"` map."""
    base = {"cluster_id": svc.cluster_id, "server_id": svc.server_id, "host": svc.config.hostname}
    out: dict[str, Any] = {}

    def add(name: str, tags: dict[str, str], values: dict[str, Any]) -> None:
        key, entry = _entry(name, tags, values, base)
        out[key] = entry

    tm = svc.taskmaster
    if tm is not None:
        # the task master's own edge: every point written, before routing to tasks
        total = sum(tm.ingress.values())
        tags = {"task": f"task_master:{MAIN}", "parent": "write_points", "child": "stream",
                "type": "stream"}  # fmt: skip
        add("edges", tags, {"collected": total, "emitted": total})
        for (db, rp, measurement), n in sorted(tm.ingress.items()):
            tags = {
                "task_master": MAIN,
                "database": db,
                "retention_policy": rp,
                "measurement": measurement,
            }
            add("ingress", tags, {"points_received": n})
        for task_id, task in sorted(tm.tasks.items()):
            _task_entries(add, task_id, task)
    alerts = svc.alerts
    for topic_id, topic in sorted((getattr(alerts, "topics", None) or {}).items()):
        add("topics", {"id": topic_id}, {"collected": topic.collected})
    load = svc.extra.get("load")
    if load is not None:
        add("load", {}, {"errors": load.errors})
    for source in svc.extra.get("stat_sources", []):  # inputs: udp listeners, scrapers
        out.update(source())
    return out


def _task_entries(add: Any, task_id: str, task: Any) -> None:
    """`nodes` and `edges` entries of one running task."""
    task_type = task.pipeline.type
    stats = task.node_stats()
    for name, values in stats.items():
        node = task.nodes[name].spec
        kind = _TRAILING_ID.sub("", name) or node.kind
        shown = {k: v for k, v in values.items() if k not in ("collected", "emitted")}
        shown["avg_exec_time_ns"] = go_duration(int(values.get("avg_exec_time_ns") or 0))
        tags = {"task": task_id, "node": name, "type": task_type, "kind": kind}
        add("nodes", tags, shown)
    for (parent, child), n in task.edge_stats().items():
        edge_type = task.nodes[parent].spec.provides
        tags = {"task": task_id, "parent": parent, "child": child, "type": edge_type}
        add("edges", tags, {"collected": n, "emitted": n})


def memstats() -> dict[str, Any]:
    """Process memory figures under Go's `runtime.MemStats` names where one fits, plus ours."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    rss = _current_rss()
    collections = sum(s.get("collections", 0) for s in gc.get_stats())
    return {
        "Alloc": rss,
        "Sys": usage.ru_maxrss * 1024,
        "HeapAlloc": rss,
        "HeapInuse": rss,
        "NumGC": collections,
        "MaxRSS": usage.ru_maxrss * 1024,
        "UserTime": usage.ru_utime,
        "SysTime": usage.ru_stime,
    }


def _current_rss() -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
