"""`list tasks|templates|recordings|replays|topics|service-tests [PATTERN...]` and
`list topic-handlers [TOPIC [PATTERN...]]`, in the columns Kapacitor's client prints."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kapacitrio.cli.client import output
from kapacitrio.cli.client.http import (
    Client,
    ClientError,
    add_url_flag,
    connect,
    guarded,
    q,
    usage_error,
)
from kapacitrio.cli.client.output import pad, rpad, width_of
from kapacitrio.tick.functions_other import human_bytes as go_human_bytes

PAGE = 100

KINDS = ("tasks", "templates", "recordings", "replays", "topics", "topic-handlers", "service-tests")

USAGE = """\
Usage: kapacitrio list (tasks|templates|recordings|replays|topics|topic-handlers|service-tests) \
[ID or pattern]...

    List objects and their state; with no ID or pattern, all of them.

    Handlers are listed by topic: the first argument is the topic ID or pattern, the rest are
    handler IDs or patterns.

        $ kapacitrio list topic-handlers system
        $ kapacitrio list topic-handlers system email*
"""


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    p = subparsers.add_parser(
        name,
        help="list tasks, templates, recordings, replays, topics, handlers or service tests",
        description="List objects, optionally only those whose ID matches a glob pattern. "
        "`list topic-handlers TOPIC [PATTERN...]` lists the handlers of the topics TOPIC matches.",
    )
    add_url_flag(p)
    p.add_argument("kind", nargs="?", metavar="KIND", help=" | ".join(KINDS))
    p.add_argument("patterns", nargs="*", metavar="PATTERN")
    p.set_defaults(run=guarded(run))


def run(args: argparse.Namespace) -> int:
    if not args.kind:
        return usage_error(
            "Must specify 'tasks', 'recordings', 'replays', 'topics', or 'topic-handlers'", USAGE
        )
    lister = LISTERS.get(args.kind)
    if lister is None:
        raise ClientError(
            f"cannot list '{args.kind}' did you mean 'tasks', 'recordings', 'replays', 'topics', "
            "'topic-handlers' or 'service-tests'?"
        )
    with connect(args) as client:
        lines = lister(client, args.patterns or [""])
    sys.stdout.write("".join(line + "\n" for line in lines))
    return 0


def _paged(client: Client, path: str, key: str, pattern: str, fields: list[str]) -> list[Any]:
    items: list[Any] = []
    offset = 0
    while True:
        body = client.get(path, pattern=pattern, fields=fields, offset=offset, limit=PAGE) or {}
        page = [i for i in body.get(key) or [] if isinstance(i, dict)]
        items.extend(page)
        if len(page) < PAGE:
            return items
        offset += len(page)


def _each(patterns: list[str], fetch: Any) -> list[dict[str, Any]]:
    """Every pattern's results in turn (a task two patterns match shows twice, as in Kapacitor)."""
    found: list[dict[str, Any]] = []
    for pattern in patterns:
        found.extend(fetch(pattern))
    return found


def list_tasks(client: Client, patterns: list[str]) -> list[str]:
    fields = ["type", "status", "executing", "dbrps"]
    tasks = _each(patterns, lambda p: _paged(client, "tasks", "tasks", p, fields))
    tasks.sort(key=lambda t: str(t.get("id", "")))
    w = width_of((t.get("id") for t in tasks), 2)
    head = ("ID", "Type", "Status", "Executing", "Databases and Retention Policies")
    rows = [
        (t.get("id"), t.get("type"), t.get("status"), t.get("executing"), t.get("dbrps"))
        for t in tasks
    ]
    out = [pad(head[0], w) + pad(head[1], 10) + pad(head[2], 10) + pad(head[3], 10) + head[4]]
    for tid, typ, status, executing, dbrps in rows:
        out.append(
            pad(tid, w)
            + pad(typ, 10)
            + pad(status, 10)
            + pad(executing, 10)
            + output.dbrps_text(dbrps)
        )
    return out


def list_templates(client: Client, patterns: list[str]) -> list[str]:
    fields = ["type", "vars"]
    tmpls = _each(patterns, lambda p: _paged(client, "templates", "templates", p, fields))
    tmpls.sort(key=lambda t: str(t.get("id", "")))
    w = width_of((t.get("id") for t in tmpls), 2)
    out = [pad("ID", w) + pad("Type", 10) + pad("Vars", 40)]
    for t in tmpls:
        names = ",".join(sorted(t.get("vars") or {}))
        out.append(pad(t.get("id"), w) + pad(t.get("type"), 10) + pad(names, 40))
    return out


def list_recordings(client: Client, patterns: list[str]) -> list[str]:
    fields = ["type", "size", "date", "status"]
    recs = _each(patterns, lambda p: _paged(client, "recordings", "recordings", p, fields))
    w = width_of((r.get("id") for r in recs), 2)
    out = [pad("ID", w) + pad("Type", 8) + pad("Status", 10) + pad("Size", 10) + pad("Date", 23)]
    for r in recs:
        out.append(
            pad(r.get("id"), w)
            + pad(r.get("type"), 8)
            + pad(r.get("status"), 10)
            + pad(human_bytes(r.get("size")), 10)
            + pad(output.when(r.get("date"), local=True), 23)
        )
    return out


def list_replays(client: Client, patterns: list[str]) -> list[str]:
    fields = ["task", "recording", "status", "clock", "date"]
    reps = _each(patterns, lambda p: _paged(client, "replays", "replays", p, fields))
    wid = width_of((r.get("id") for r in reps), 2)
    wtask = width_of((r.get("task") for r in reps), 4)
    wrec = width_of((r.get("recording") for r in reps), 9)
    out = [
        pad("ID", wid)
        + pad("Task", wtask)
        + pad("Recording", wrec)
        + pad("Status", 9)
        + pad("Clock", 8)
        + pad("Date", 23)
    ]
    for r in reps:
        out.append(
            pad(r.get("id"), wid)
            + pad(r.get("task"), wtask)
            + pad(r.get("recording"), wrec)
            + pad(r.get("status"), 9)
            + pad(r.get("clock"), 8)
            + pad(output.when(r.get("date"), local=True), 23)
        )
    return out


def list_topics(client: Client, patterns: list[str]) -> list[str]:
    topics = _each(patterns, lambda p: _simple(client, "alerts/topics", "topics", p))
    wid = width_of((t.get("id") for t in topics), 2)
    wlevel = width_of((t.get("level") for t in topics), 8)
    out = [pad("ID", wid) + pad("Level", wlevel) + rpad("Collected", 10)]
    for t in topics:
        out.append(
            pad(t.get("id"), wid) + pad(t.get("level"), wlevel) + rpad(t.get("collected", 0), 10)
        )
    return out


def list_topic_handlers(client: Client, patterns: list[str]) -> list[str]:
    """The first argument picks the topics (an ID or a pattern), the others their handlers."""
    topics = _simple(client, "alerts/topics", "topics", patterns[0])
    handler_patterns = patterns[1:] or [""]
    rows: list[tuple[Any, Any, Any]] = []
    for topic in topics:
        tid = str(topic.get("id", ""))
        for pattern in handler_patterns:
            for h in _simple(client, f"alerts/topics/{q(tid)}/handlers", "handlers", pattern):
                rows.append((tid, h.get("id"), h.get("kind")))
    wt = width_of((r[0] for r in rows), 10)
    wi = width_of((r[1] for r in rows), 10)
    wk = width_of((r[2] for r in rows), 10)
    out = [pad("Topic", wt) + pad("ID", wi) + pad("Kind", wk)]
    out.extend(pad(t, wt) + pad(i, wi) + pad(k, wk) for t, i, k in rows)
    return out


def list_service_tests(client: Client, patterns: list[str]) -> list[str]:
    out = ["Service Name"]
    for pattern in patterns:
        body = client.get("service-tests", pattern=pattern) or {}
        out.extend(str(s["name"]) for s in body.get("services") or [] if "name" in s)
    return out


def _simple(client: Client, path: str, key: str, pattern: str) -> list[Any]:
    body = client.get(path, pattern=pattern) or {}
    return [i for i in body.get(key) or [] if isinstance(i, dict)]


def human_bytes(size: Any) -> str:
    """A recording's size as Kapacitor's client shows it (go-humanize `Bytes` of the uint64)."""
    if isinstance(size, bool) or not isinstance(size, int | float):
        size = 0
    return go_human_bytes(int(size) & (2**64 - 1))


LISTERS = {
    "tasks": list_tasks,
    "templates": list_templates,
    "recordings": list_recordings,
    "replays": list_replays,
    "topics": list_topics,
    "topic-handlers": list_topic_handlers,
    "service-tests": list_service_tests,
}
