"""`kapacitrio serve`: run the server until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from typing import TextIO

import trio

from kapacitrio import logs
from kapacitrio.auth.settings import check_security
from kapacitrio.config import Config, ConfigError, load
from kapacitrio.storage.db import StoreError


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    p = subparsers.add_parser(name, help="run the kapacitrio server")
    p.add_argument(
        "-config",
        "--config",
        dest="config",
        default=None,
        help="TOML config file (default: $KAPACITOR_CONFIG_PATH, else built-in defaults)",
    )
    p.add_argument("-hostname", "--hostname", dest="hostname", default=None)
    p.add_argument("-log-level", "--log-level", dest="log_level", default=None)
    p.add_argument("-log-file", "--log-file", dest="log_file", default=None)
    p.add_argument("-pidfile", "--pidfile", dest="pidfile", default=None, help="write the pid here")
    p.set_defaults(run=run)


async def _watch_signals(shutdown: trio.Event) -> None:
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for signum in signals:
            logs.get_logger("server").info("signal received", signal=signal.Signals(signum).name)
            shutdown.set()
            return


async def _main(cfg: Config) -> None:
    from kapacitrio.server import run_server

    shutdown = trio.Event()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_watch_signals, shutdown)
        await run_server(cfg, shutdown)
        nursery.cancel_scope.cancel()


def run(args: argparse.Namespace) -> int:
    """Load the configuration and serve; returns the exit status."""
    logs.configure("info")
    # Modules that register config sections must be imported before the config is read.
    import kapacitrio.cluster.config  # noqa: F401  (registers [cluster])
    from kapacitrio.services import plugin_modules

    plugin_modules()
    try:
        cfg = load(args.config or os.environ.get("KAPACITOR_CONFIG_PATH") or None)
        check_security(cfg)
    except ConfigError as exc:
        print(f"kapacitrio: {exc}", file=sys.stderr)
        return 1
    if args.hostname:
        cfg.hostname = args.hostname
    level = args.log_level or cfg.get("logging").level
    try:
        logs.configure(level, stream=_log_stream(args.log_file or cfg.get("logging").file))
    except (ValueError, OSError) as exc:
        print(f"kapacitrio: {exc}", file=sys.stderr)
        return 1
    logs.bridge_stdlib()
    if args.pidfile:
        Path(args.pidfile).write_text(f"{os.getpid()}\n")
    try:
        trio.run(_main, cfg)
    except (OSError, StoreError, BaseExceptionGroup) as exc:
        fatal = _fatal(exc)
        if fatal is None:
            raise
        logs.get_logger("server").error("kapacitrio failed to start", err=fatal)
        print(f"kapacitrio: {fatal}", file=sys.stderr)
        return 1
    finally:
        if args.pidfile:
            Path(args.pidfile).unlink(missing_ok=True)
    return 0


def _fatal(exc: BaseException) -> str | None:
    """The message for a startup failure the user can fix (port in use, unusable data dir)."""
    if isinstance(exc, BaseExceptionGroup):
        found = exc.subgroup(lambda e: isinstance(e, (OSError, StoreError)))
        if found is None:
            return None
        while isinstance(found, BaseExceptionGroup):
            found = found.exceptions[0]
        exc = found
    if isinstance(exc, StoreError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"cannot start: {exc}"
    return None


def _log_stream(dest: str) -> TextIO:
    if dest.upper() in ("", "STDERR"):
        return sys.stderr
    if dest.upper() == "STDOUT":
        return sys.stdout
    return open(dest, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - lives for the process
