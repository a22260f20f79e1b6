"""`stats general|ingress` and `vars`: the server's runtime statistics from `/debug/vars`."""

from __future__ import annotations

import argparse
from typing import Any

from kapacitrio.cli.client import output
from kapacitrio.cli.client.http import add_url_flag, connect, guarded


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    if name == "vars":
        p = subparsers.add_parser(name, help="print the server's debug vars (JSON)")
        add_url_flag(p)
        p.set_defaults(run=guarded(run_vars))
        return
    p = subparsers.add_parser(name, help="show server statistics (general or ingress)")
    add_url_flag(p)
    p.add_argument("kind", choices=("general", "ingress"))
    p.set_defaults(run=guarded(run_stats))


def run_vars(args: argparse.Namespace) -> int:
    with connect(args) as client:
        print(output.pretty_json(client.get("debug/vars")))
    return 0


def run_stats(args: argparse.Namespace) -> int:
    with connect(args) as client:
        body = client.get("debug/vars") or {}
    if args.kind == "general":
        _general(body)
    else:
        _ingress(body)
    return 0


def _general(body: dict[str, Any]) -> None:
    """Kapacitor's layout: label and value each left-aligned in 30 columns."""
    for label, key in (
        ("ClusterID", "cluster_id"),
        ("ServerID", "server_id"),
        ("Host", "host"),
        ("Tasks", "num_tasks"),
        ("Enabled Tasks", "num_enabled_tasks"),
        ("Subscriptions", "num_subscriptions"),
        ("Version", "version"),
    ):
        print(f"{label + ':':<30}{output.cell_text(body.get(key)):<30}")


def _ingress(body: dict[str, Any]) -> None:
    """Kapacitor's layout: 30-column db, rp and measurement, then the count (main task master)."""
    rows = []
    for stat in (body.get("kapacitor") or {}).values():
        if not isinstance(stat, dict) or stat.get("name") != "ingress":
            continue
        tags, values = stat.get("tags") or {}, stat.get("values") or {}
        if tags.get("task_master") != "main":
            continue
        received = values.get("points_received", 0)
        count = received if isinstance(received, int | float) else 0
        row = (
            str(tags.get("database", "")),
            str(tags.get("retention_policy", "")),
            str(tags.get("measurement", "")),
        )
        rows.append((row, count))
    rows.sort()
    print(f"{'Database':<30}{'Retention Policy':<30}{'Measurement':<30}{'Points Received':<20}")
    for (db, rp, measurement), count in rows:
        print(f"{db:<30}{rp:<30}{measurement:<30}{count:<20.0f}")
