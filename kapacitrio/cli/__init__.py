"""The `kapacitrio` command line: one module per sub-command, each with `add_parser` and `run`."""

from __future__ import annotations

import argparse
import importlib
import sys

#: Sub-command name -> module under kapacitrio.cli that implements it.
COMMANDS = {
    "serve": "serve",
    "fmt": "fmt",
    "test": "testcases",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kapacitrio", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, module_name in COMMANDS.items():
        try:
            module = importlib.import_module(f"kapacitrio.cli.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"kapacitrio.cli.{module_name}":
                raise
            continue
        module.add_parser(sub, name)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen sub-command; returns the exit status."""
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    return int(args.run(args) or 0)
