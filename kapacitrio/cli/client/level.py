"""`level LEVEL`: set the server's log level while it runs (debug, info, warn or error)."""

from __future__ import annotations

import argparse

from kapacitrio.cli.client.http import add_url_flag, connect, guarded, usage_error

USAGE = """\
Usage: kapacitrio level (debug|info|warn|error)

    Sets the logging level on the server."""


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    p = subparsers.add_parser(
        name,
        help="set the server's log level (debug, info, warn or error)",
        description="Set the server's log level, live: debug, info, warn or error.",
    )
    add_url_flag(p)
    p.add_argument("level", nargs="*", metavar="LEVEL")
    p.set_defaults(run=guarded(run))


def run(args: argparse.Namespace) -> int:
    if not args.level:
        return usage_error("Must pass a log level", USAGE)
    with connect(args) as client:
        client.request("POST", "loglevel", json_body={"level": args.level[0]}, ok=(204,))
    return 0
