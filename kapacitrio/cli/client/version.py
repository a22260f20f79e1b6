"""`version`: the client's version, and the server's when one answers."""

from __future__ import annotations

import argparse

from kapacitrio import __version__
from kapacitrio.cli.client.http import ClientError, add_url_flag, connect, guarded


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    p = subparsers.add_parser(name, help="print the version")
    add_url_flag(p)
    p.set_defaults(run=guarded(run))


def run(args: argparse.Namespace) -> int:
    print(f"kapacitrio {__version__}")
    with connect(args) as client:
        try:
            response = client.request("GET", "ping")
        except ClientError:
            return 0  # no server to ask: the client's version is all there is
    server = response.headers.get("X-Kapacitor-Version")
    if server:
        print(f"server {client.url}: Kapacitor {server}")
    return 0
