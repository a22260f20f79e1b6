"""`delete tasks|templates|recordings|replays|topics ID...` and `delete topic-handlers TOPIC ID...`."""

from __future__ import annotations

import argparse

from kapacitrio.cli.client.http import ClientError, add_url_flag, connect, guarded, q
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
    p.add_argument("kind", choices=(*PATHS, *HANDLER_KINDS))
    p.add_argument("ids", nargs="+", metavar="ID")
    p.set_defaults(run=guarded(run))


def run(args: argparse.Namespace) -> int:
    with connect(args) as client:
        if args.kind in HANDLER_KINDS:
            if len(args.ids) < 2:
                raise ClientError("usage: delete topic-handlers TOPIC HANDLER...")
            topic, handlers = args.ids[0], args.ids[1:]
            for handler in handlers:
                client.delete(f"alerts/topics/{q(topic)}/handlers/{q(handler)}")
            return 0
        for arg in args.ids:
            ids = list_ids(client, args.kind, arg) if is_pattern(arg) else [arg]
            for one in ids:
                client.delete(f"{PATHS[args.kind]}/{q(one)}")
    return 0
