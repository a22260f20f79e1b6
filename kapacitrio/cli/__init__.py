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
    "watch": "client.watch",
    "record": "client.recording",
    "replay": "client.recording",
    "replay-live": "client.recording",
    "help": "client.help",
}


CONNECTION_HELP = """\
connecting to a server (client commands):
  -url URL        the server, e.g. http://localhost:9092 or https://host:9092 (default:
                  $KAPACITOR_URL, else http://localhost:9092). With [http] auth-enabled, put the
                  credentials in it: https://user:password@host:9092 (Basic auth).
  -token JWT      send 'Authorization: Bearer JWT' instead (default: $KAPACITOR_TOKEN); the
                  token is HMAC-signed with [http] shared-secret and has exp and username claims.
  -skipVerify     accept a server certificate that cannot be verified (self-signed), or set
                  $KAPACITOR_UNSAFE_SSL=true.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kapacitrio",
        description="Kapacitor-compatible stream and batch processing and alerting: the server "
        "(serve) and its command-line client.",
        epilog=CONNECTION_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-url", "--url", dest="global_url", default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "-skipVerify", dest="global_skip_verify", action="store_true", help=argparse.SUPPRESS
    )
    parser.add_argument("-token", dest="global_token", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--version", action="version", version=f"kapacitrio {_version()}")
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


def _version() -> str:
    from kapacitrio import __version__

    return __version__


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen sub-command; returns the exit status."""
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    return int(args.run(args) or 0)
