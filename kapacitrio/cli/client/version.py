"""`version`: the client's version, and the server's when one answers."""

from __future__ import annotations

import argparse

import httpx

from kapacitrio import __version__
from kapacitrio.cli.client.http import BASE, add_url_flag, guarded, server_url


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    p = subparsers.add_parser(name, help="print the version")
    add_url_flag(p)
    p.set_defaults(run=guarded(run))


def run(args: argparse.Namespace) -> int:
    print(f"kapacitrio {__version__}")
    url = server_url(args)
    try:
        response = httpx.get(f"{url}{BASE}/ping", timeout=2.0)
    except httpx.HTTPError:
        return 0
    server = response.headers.get("X-Kapacitor-Version")
    if server:
        print(f"server {url}: Kapacitor {server}")
    return 0
