"""The `kapacitrio` command line: one module per sub-command, each with `add_parser` and `run`."""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Any, NoReturn

#: Sub-command name -> module under kapacitrio.cli that implements it.
COMMANDS = {
    "serve": "serve",
    "fmt": "fmt",
    "test": "testcases",
    # Client commands (kapacitrio.cli.client): talk to a running server over HTTP.
    "define": "client.tasks",
    "define-template": "client.templates",
    "enable": "client.tasks",
    "disable": "client.tasks",
    "reload": "client.tasks",
    "delete": "client.delete",
    "list": "client.listing",
    "show": "client.tasks",
    "show-template": "client.templates",
    "show-topic": "client.topics",
    "show-topic-handler": "client.topics",
    "define-topic-handler": "client.topics",
    "logs": "client.logs",
    "stats": "client.stats",
    "vars": "client.stats",
    "backup": "client.backup",
    "service-tests": "client.servicetests",
    "version": "client.version",
    "watch": "client.logs",
    "watch-events": "client.events",
    "level": "client.level",
    "record": "client.recording",
    "replay": "client.recording",
    "replay-live": "client.recording",
    "help": "client.help",
    "cluster": "client.cluster",
}


OPTIONS_HELP = """\
Options:
  -url URL
        The server's URL, http(s)://host:port. Defaults to the KAPACITOR_URL environment
        variable, or http://localhost:9092 when it is not set. With [http] auth-enabled,
        give the credentials in it: https://user:password@host:9092 (Basic auth).
  -skipVerify
        Do not verify the server's TLS certificate (insecure). Defaults to the
        KAPACITOR_UNSAFE_SSL environment variable, or false when it is not set.
  -token JWT
        Send 'Authorization: Bearer JWT'. Defaults to the KAPACITOR_TOKEN environment variable.
  --version
        Print the version and exit.

These options may also follow the command, e.g. `kapacitrio list tasks -url URL`.
"""

#: Exit status for a missing or unknown command (Kapacitor's client exits 1 there).
EXIT_NO_COMMAND = 1


class _StderrParser(argparse.ArgumentParser):
    """Usage and `-h` go to stderr, as Kapacitor's client prints them."""

    def print_help(self, file: Any = None) -> None:
        super().print_help(file or sys.stderr)


class _TopParser(_StderrParser):
    """The top-level parser: Kapacitor's usage layout, and its texts for a missing or unknown
    command."""

    def format_help(self) -> str:
        sub = next(a for a in self._actions if isinstance(a, argparse._SubParsersAction))
        helps = {c.dest: c.help or "" for c in sub._choices_actions}
        width = max(len(name) for name in helps) + 2
        lines = ["Usage: kapacitrio [options] [command] [args]", "", "Commands:", ""]
        lines += [f"    {name.ljust(width)}{text}" for name, text in helps.items()]
        return "\n".join(lines) + "\n\n" + OPTIONS_HELP

    def error(self, message: str) -> NoReturn:
        if "invalid choice" in message:
            word = message.split("invalid choice: ", 1)[1].split(" (", 1)[0].strip("'")
            self.exit(EXIT_NO_COMMAND, f"Unknown command {word}\n{self.format_help()}")
        if "required: COMMAND" in message:
            self.exit(EXIT_NO_COMMAND, f"Error: Must pass a command.\n{self.format_help()}")
        super().error(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _TopParser(prog="kapacitrio", add_help=True)
    parser.add_argument("-url", "--url", dest="global_url", default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "-skipVerify", dest="global_skip_verify", action="store_true", help=argparse.SUPPRESS
    )
    parser.add_argument("-token", dest="global_token", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--version", action="version", version=f"kapacitrio {_version()}")
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_StderrParser
    )
    for name, module_name in COMMANDS.items():
        try:
            module = importlib.import_module(f"kapacitrio.cli.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"kapacitrio.cli.{module_name}":
                raise
            continue
        module.add_parser(sub, name)
    return parser


def _version() -> str:
    from kapacitrio import __version__

    return __version__


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen sub-command; returns the exit status."""
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    return int(args.run(args) or 0)
