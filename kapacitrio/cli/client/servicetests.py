"""`service-tests [NAME...]`: run the server's service tests with their default options."""

from __future__ import annotations

import argparse
import sys

from kapacitrio.cli.client.http import add_url_flag, connect, guarded, q
from kapacitrio.cli.client.output import cell_text, pad


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    p = subparsers.add_parser(
        name,
        help="test services (all of them when no name is given)",
        description="Run service tests with their default options; names may be glob patterns.",
    )
    add_url_flag(p)
    p.add_argument("names", nargs="*", metavar="NAME")
    p.set_defaults(run=guarded(run))


def run(args: argparse.Namespace) -> int:
    rows = []
    with connect(args) as client:
        names: list[str] = []
        for pattern in args.names or ["*"]:
            listed = client.get("service-tests", pattern=pattern) or {}
            found = [str(s["name"]) for s in listed.get("services") or [] if "name" in s]
            if not found:
                client.get(f"service-tests/{q(pattern)}")  # an unknown name: the server's 404 text
            names.extend(n for n in found if n not in names)
        for name in names:
            defaults = client.get(f"service-tests/{q(name)}") or {}
            result = client.post(f"service-tests/{q(name)}", defaults.get("options") or {}) or {}
            rows.append([name, bool(result.get("success")), result.get("message", "")])
    lines = [pad("Service", 20) + pad("Success", 10) + "Message"]
    lines += [pad(name, 20) + pad(ok, 10) + cell_text(message) for name, ok, message in rows]
    sys.stdout.write("".join(line + "\n" for line in lines))
    return 0
