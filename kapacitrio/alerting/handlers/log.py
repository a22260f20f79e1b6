"""The `log` handler: appends one alert JSON object per line to a file."""

from __future__ import annotations

import os
from typing import Any

import trio

from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import register
from kapacitrio.alerting.handlers.base import Handler, HandlerEnv, HandlerOptionError, opt_str


class LogHandler(Handler):
    def __init__(self, options: dict[str, Any], env: HandlerEnv) -> None:
        self.path = opt_str(options, "path")
        if not self.path:
            raise HandlerOptionError("log handler requires a path")
        if not os.path.isabs(self.path):
            raise HandlerOptionError(f"log path must be absolute: {self.path!r}")
        mode = options.get("mode", 0o600)
        if isinstance(mode, str):
            try:
                mode = int(mode, 8)
            except ValueError:
                raise HandlerOptionError(f"invalid file mode {mode!r}") from None
        if isinstance(mode, bool) or not isinstance(mode, int) or mode == 0:
            mode = 0o600
        if mode & 0o200 == 0:
            raise HandlerOptionError(f"log file mode {oct(mode)} must be writable by the user")
        self.mode = mode

    async def handle(self, event: Event) -> None:
        await trio.to_thread.run_sync(self._append, event.alert_text())

    def _append(self, line: str) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, self.mode)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(line)


def _from_tick(args: list[Any], props: dict[str, Any]) -> dict[str, Any]:
    return {"path": args[0] if args else "", "mode": int(props.get("mode") or 0o600)}


register("log", LogHandler, _from_tick)
