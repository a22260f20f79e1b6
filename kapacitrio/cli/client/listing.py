"""`list tasks|templates|recordings|replays|topics|topic-handlers|service-tests [pattern...]`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from kapacitrio.cli.client import output
from kapacitrio.cli.client.http import Client, add_url_flag, connect, guarded, q
from kapacitrio.tick.functions_other import human_bytes as go_human_bytes

PAGE = 100
#: Count columns, right-aligned.
NUMERIC = ("Collected",)

KINDS = ("tasks", "templates", "recordings", "replays", "topics", "topic-handlers", "service-tests")


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    p = subparsers.add_parser(
        name,
        help="list tasks, templates, recordings, replays, topics, handlers or service tests",
        description="List objects, optionally only those whose ID matches a glob pattern.",
    )
    add_url_flag(p)
    p.add_argument("kind", choices=KINDS)
    p.add_argument("patterns", nargs="*", metavar="PATTERN")
    p.set_defaults(run=guarded(run))


def run(args: argparse.Namespace) -> int:
    patterns = args.patterns or ["*"]
    with connect(args) as client:
        headers, rows = LISTERS[args.kind](client, patterns)
    output.table(headers, rows, numeric=NUMERIC)
    return 0


def _paged(client: Client, path: str, key: str, pattern: str, fields: list[str]) -> list[Any]:
    items: list[Any] = []
    offset = 0
    while True:
        body = client.get(path, pattern=pattern, fields=fields, offset=offset, limit=PAGE) or {}
        page = body.get(key) or []
        items.extend(page)
        if len(page) < PAGE:
            return items
        offset += len(page)


def _unique(client: Client, patterns: list[str], fetch: Callable[[str], list[Any]]) -> list[Any]:
    seen: dict[str, Any] = {}
    for pattern in patterns:
        for item in fetch(pattern):
            seen.setdefault(str(item.get("id", "")), item)
    return sorted(seen.values(), key=lambda i: str(i.get("id", "")))


def list_tasks(client: Client, patterns: list[str]) -> tuple[list[str], list[list[Any]]]:
    fields = ["type", "status", "executing", "dbrps"]
    tasks = _unique(client, patterns, lambda p: _paged(client, "tasks", "tasks", p, fields))
    rows = [
        [
            t["id"],
            t.get("type"),
            t.get("status"),
            t.get("executing"),
            output.dbrps_text(t.get("dbrps")),
        ]
        for t in tasks
    ]
    return ["ID", "Type", "Status", "Executing", "Databases and Retention Policies"], rows


def list_templates(client: Client, patterns: list[str]) -> tuple[list[str], list[list[Any]]]:
    fields = ["type", "vars"]
    tmpls = _unique(client, patterns, lambda p: _paged(client, "templates", "templates", p, fields))
    rows = [[t["id"], t.get("type"), ",".join(sorted(t.get("vars") or {}))] for t in tmpls]
    return ["ID", "Type", "Vars"], rows


def list_recordings(client: Client, patterns: list[str]) -> tuple[list[str], list[list[Any]]]:
    recs = _unique(client, patterns, lambda p: _simple(client, "recordings", "recordings", p))
    rows = [
        [
            r["id"],
            r.get("type"),
            r.get("status"),
            human_bytes(r.get("size")),
            output.when(r.get("date")),
        ]
        for r in recs
    ]
    return ["ID", "Type", "Status", "Size", "Date"], rows


def list_replays(client: Client, patterns: list[str]) -> tuple[list[str], list[list[Any]]]:
    reps = _unique(client, patterns, lambda p: _simple(client, "replays", "replays", p))
    rows = [
        [
            r["id"],
            r.get("task"),
            r.get("recording"),
            r.get("status"),
            r.get("clock"),
            output.when(r.get("date")),
        ]
        for r in reps
    ]
    return ["ID", "Task", "Recording", "Status", "Clock", "Date"], rows


def list_topics(client: Client, patterns: list[str]) -> tuple[list[str], list[list[Any]]]:
    topics = _unique(client, patterns, lambda p: _simple(client, "alerts/topics", "topics", p))
    rows = [[t["id"], t.get("level"), t.get("collected", 0)] for t in topics]
    return ["ID", "Level", "Collected"], rows


def list_topic_handlers(client: Client, patterns: list[str]) -> tuple[list[str], list[list[Any]]]:
    topics = _simple(client, "alerts/topics", "topics", "*")
    rows: list[list[Any]] = []
    for topic in sorted(str(t["id"]) for t in topics):
        found = _unique(
            client,
            patterns,
            lambda p, topic=topic: _simple(
                client, f"alerts/topics/{q(topic)}/handlers", "handlers", p
            ),
        )
        rows.extend([topic, h["id"], h.get("kind")] for h in found)
    return ["Topic", "ID", "Kind"], rows


def list_service_tests(client: Client, patterns: list[str]) -> tuple[list[str], list[list[Any]]]:
    found: set[str] = set()
    for pattern in patterns:
        body = client.get("service-tests", pattern=pattern) or {}
        found.update(str(s["name"]) for s in body.get("services") or [] if "name" in s)
    return ["Service Name"], [[name] for name in sorted(found)]


def _simple(client: Client, path: str, key: str, pattern: str) -> list[Any]:
    body = client.get(path, pattern=pattern) or {}
    return [i for i in body.get(key) or [] if isinstance(i, dict)]


def human_bytes(size: Any) -> str:
    """A recording's size as Kapacitor's client shows it (go-humanize `Bytes` of the uint64); `""` if absent."""
    if isinstance(size, bool) or not isinstance(size, int | float):
        return ""
    return go_human_bytes(int(size) & (2**64 - 1))


LISTERS: dict[str, Callable[[Client, list[str]], tuple[list[str], list[list[Any]]]]] = {
    "tasks": list_tasks,
    "templates": list_templates,
    "recordings": list_recordings,
    "replays": list_replays,
    "topics": list_topics,
    "topic-handlers": list_topic_handlers,
    "service-tests": list_service_tests,
}
