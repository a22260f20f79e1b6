"""`delete tasks|templates|recordings|replays|topics ID...` and `delete topic-handlers TOPIC ID...`."""

from __future__ import annotations

import argparse

from kapacitrio.cli.client.http import (
    ClientError,
    add_url_flag,
    connect,
    guarded,
    q,
    usage_error,
)
from kapacitrio.cli.client.select import is_pattern, list_ids

PATHS = {
    "tasks": "tasks",
    "templates": "templates",
    "recordings": "recordings",
    "replays": "replays",
    "topics": "alerts/topics",
}
HANDLER_KINDS = ("topic-handlers", "handlers")


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    p = subparsers.add_parser(
        name,
        help="delete tasks, templates, recordings, replays, topics or topic handlers",
        description=(
            "Delete objects by ID or glob pattern. Handlers are named by their topic first: "
            "`delete topic-handlers TOPIC ID...`."
        ),
    )
    add_url_flag(p)
    p.add_argument("kind", nargs="?", metavar="KIND", help=" | ".join((*PATHS, "topic-handlers")))
    p.add_argument("ids", nargs="*", metavar="ID")
    p.set_defaults(run=guarded(run))


USAGE = """\
Usage: kapacitrio delete (tasks|templates|recordings|replays|topics|topic-handlers) [ID or pattern]...

    Delete tasks, templates, recordings, replays, topics or handlers (IDs or globs). An enabled
    task is disabled first. Handlers are named after their topic:

        $ kapacitrio delete topic-handlers system slack"""


def run(args: argparse.Namespace) -> int:
    if not args.kind or not args.ids:
        return usage_error("Must pass at least one ID", USAGE)
    if args.kind not in PATHS and args.kind not in HANDLER_KINDS:
        raise ClientError(
            f"cannot delete '{args.kind}' did you mean 'tasks', 'templates', 'recordings', "
            "'replays', 'topics' or 'topic-handlers'?"
        )
    with connect(args) as client:
        if args.kind in HANDLER_KINDS:
            topic, handlers = args.ids[0], args.ids[1:]
            base = f"alerts/topics/{q(topic)}/handlers"
            for handler in handlers:
                ids = [handler]
                if is_pattern(handler):
                    body = client.get(base, pattern=handler) or {}
                    ids = [str(h["id"]) for h in body.get("handlers") or [] if "id" in h]
                for one in ids:
                    client.delete(f"{base}/{q(one)}")
            return 0
        for arg in args.ids:
            ids = list_ids(client, args.kind, arg) if is_pattern(arg) else [arg]
            for one in ids:
                client.delete(f"{PATHS[args.kind]}/{q(one)}")
    return 0
