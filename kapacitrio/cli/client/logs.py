"""`logs [key=value...]`: follow the server's log stream, filtered by the given pairs."""

from __future__ import annotations

import argparse
import sys

import httpx

from kapacitrio.cli.client.http import PREVIEW, ClientError, add_url_flag, connect, guarded


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    p = subparsers.add_parser(
        name,
        help="follow the server's logs",
        description="Follow the server's logs until interrupted, e.g. `logs service=http lvl=error`.",
    )
    add_url_flag(p)
    p.add_argument("-json", dest="json", action="store_true", help="entries as JSON, not logfmt")
    p.add_argument("filters", nargs="*", metavar="KEY=VALUE")
    p.set_defaults(run=guarded(run))


def parse_filters(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ClientError(f"invalid filter {pair!r}: expected key=value")
        out[key] = value
    return out


def run(args: argparse.Namespace) -> int:
    filters = parse_filters(args.filters)
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
    except KeyboardInterrupt:
        return 0
    return 0
