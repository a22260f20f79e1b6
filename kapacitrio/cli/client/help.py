"""`help [COMMAND]`: the command list, or one command's usage, as Kapacitor's client offers."""

from __future__ import annotations

import argparse
import contextlib
import sys

from kapacitrio.cli.client.http import guarded


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    p = subparsers.add_parser(name, help="show the commands, or one command's usage")
    p.add_argument("topic", nargs="?", metavar="COMMAND")
    p.set_defaults(run=guarded(run))


def run(args: argparse.Namespace) -> int:
    """Usage goes to stderr, as Kapacitor's client prints it."""
    from kapacitrio.cli import COMMANDS, EXIT_NO_COMMAND, build_parser

    parser = build_parser()
    if not args.topic:
        # Kapacitor's `help` alone prints its usage and exits 1, as for a missing command.
        print("Usage: kapacitrio help [command]\n", file=sys.stderr)
        parser.print_help(sys.stderr)
        return EXIT_NO_COMMAND
    if args.topic not in COMMANDS:
        print(f"Unknown command {args.topic}", file=sys.stderr)
        parser.print_help(sys.stderr)
        return EXIT_NO_COMMAND
    try:
        with contextlib.redirect_stdout(sys.stderr):
            parser.parse_args([args.topic, "--help"])
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0
