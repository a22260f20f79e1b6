"""`cluster status`: the members of a cluster, where each task runs, and each task feed's lag."""

from __future__ import annotations

import argparse
import json
from typing import Any

from kapacitrio.cli.client.http import add_url_flag, connect, guarded


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    p = subparsers.add_parser(name, help="show the cluster: members, task placement, lag")
    p.add_argument("action", choices=["status"], help="what to show")
    p.add_argument("-json", "--json", dest="as_json", action="store_true", help="print raw JSON")
    add_url_flag(p)
    p.set_defaults(run=guarded(run))


def render(status: dict[str, Any]) -> str:
    """The status as aligned text tables."""
    lines = [f"Instance: {status['instance']}" + ("  (FENCED)" if status.get("fenced") else "")]
    lines.append("")
    lines.append(f"{'Member':<20} {'URL':<32} {'Heartbeat':>10} {'Tasks':>6}")
    for m in status.get("members", []):
        name = m["name"] + (" *" if m.get("self") else "")
        beat = f"{m.get('last-heartbeat-ms', 0)}ms"
        lines.append(f"{name:<20} {m.get('url', ''):<32} {beat:>10} {len(m.get('tasks', [])):>6}")
    lines.append("")
    lines.append(f"{'Task':<30} {'Status':<9} {'Instance':<16} {'Running on':<20} {'Pending':>8}")
    for t in status.get("tasks", []):
        lag = t.get("lag") or {}
        pending = str(lag.get("pending", "")) if lag else "-"
        running = ",".join(t.get("running-on") or []) or "-"
        lines.append(
            f"{t['id']:<30} {t.get('status', ''):<9} {t.get('instance') or '-':<16} "
            f"{running:<20} {pending:>8}"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    with connect(args) as client:
        status = client.get("/kapacitor/v1preview/cluster")
    print(json.dumps(status, indent=2) if args.as_json else render(status))
    return 0
