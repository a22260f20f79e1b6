"""The `log` handler: appends the alert JSON as one line to a file."""

from __future__ import annotations

import os
from dataclasses import dataclass

import trio

from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import define
from kapacitrio.alerting.handlers.base import HandlerEnv
from kapacitrio.alerting.handlers.kind import Ctx, Kind, Tick
from kapacitrio.alerting.handlers.options import INT, Opt, Table, Values


def _path(value: str) -> str:
    if not value:
        raise ValueError("log handler requires a path")
    if not os.path.isabs(value):
        raise ValueError(f"log path must be absolute: {value!r}")
    return value


def _mode(value: int) -> int:
    mode = value or 0o600
    if not 0 < mode <= 0o7777:
        raise ValueError(f"invalid file mode {oct(mode)}")
    if mode & 0o200 == 0:
        raise ValueError(f"log file mode {oct(mode)} must be writable by the user")
    return mode


TABLE = Table(
    "*alert.LogHandlerConfig",
    (Opt("path", convert=_path, tick=""), Opt("mode", INT, default=0o600, convert=_mode)),
)


@dataclass
class LogLine:
    """One line appended to the log file (created with `mode`)."""

    path: str
    mode: int
    line: str

    async def send(self, env: HandlerEnv) -> None:
        await trio.to_thread.run_sync(self._append)

    def _append(self) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, self.mode)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(self.line)


def request(o: Values, event: Event, ctx: Ctx) -> LogLine:
    return LogLine(o["path"], o["mode"], event.alert_text())


define(Kind("log", TABLE, request, Tick("log", "LogHandler", ("string",), ("path",))))
