"""`logs [key=value...]` and `watch TASK [key=value...]`: follow the server's log stream.

Both tail `/kapacitor/v1preview/logs` until interrupted; `watch` adds `task=TASK`. A pair such as
`lvl=info+` asks for that level and every more severe one, `lvl=error` for one level.
"""

from __future__ import annotations

import argparse
import sys

import httpx

from kapacitrio.cli.client.http import (
    PREVIEW,
    ClientError,
    add_url_flag,
    connect,
    guarded,
)

HELP = {
    "logs": "follow the server's logs, e.g. `logs service=http lvl=info+`",
    "watch": "follow one task's logs, e.g. `watch mytask node=log5`",
}


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    p = subparsers.add_parser(
        name,
        help=HELP[name],
        description=HELP[name][0].upper()
        + HELP[name][1:]
        + ". `lvl=LEVEL` matches one level, `lvl=LEVEL+` that level and more severe ones.",
    )
    add_url_flag(p)
    p.add_argument("-json", dest="json", action="store_true", help="entries as JSON, not logfmt")
    if name == "watch":
        p.add_argument("task", nargs="?", metavar="TASK")
    p.add_argument("filters", nargs="*", metavar="KEY=VALUE")
    p.set_defaults(run=guarded(run), command_name=name)


def parse_filters(pairs: list[str]) -> dict[str, str]:
    """`key=value` words as a filter map; Kapacitor's error for anything else."""
    out: dict[str, str] = {}
    for pair in pairs:
        parts = pair.split("=")
        if len(parts) != 2:
            raise ClientError(f"bad keyvalue pair: '{pair}'")
        out[parts[0]] = parts[1]
    return out


def run(args: argparse.Namespace) -> int:
    filters: dict[str, str] = {}
    if args.command_name == "watch":
        if not args.task:
            raise ClientError("must provide task ID.")
        filters["task"] = args.task
    filters.update(parse_filters(args.filters))
    headers = {"Content-Type": "application/json"} if args.json else {}
    timeout = httpx.Timeout(30.0, read=None)
    try:
        with (
            connect(args) as client,
            client.stream(f"{PREVIEW}/logs", filters, headers, timeout) as response,
        ):
            for line in response.iter_lines():
                sys.stdout.write(line + "\n")
                sys.stdout.flush()
    except ClientError as exc:
        raise ClientError(f"failed to retrieve logs: {exc}") from None
    except KeyboardInterrupt:
        return 0
    return 0
