"""The `exec` handler: runs a program with the alert JSON on its stdin."""

from __future__ import annotations

import subprocess
from typing import Any

import trio

from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import register
from kapacitrio.alerting.handlers.base import (
    Handler,
    HandlerEnv,
    HandlerFailed,
    HandlerOptionError,
    opt_list,
    opt_str,
)

TIMEOUT = 60.0


class ExecHandler(Handler):
    def __init__(self, options: dict[str, Any], env: HandlerEnv) -> None:
        self.prog = opt_str(options, "prog")
        self.args = opt_list(options, "args")
        if not self.prog:
            raise HandlerOptionError("exec handler requires a program")

    async def handle(self, event: Event) -> None:
        stdin = event.alert_text().encode()
        try:
            with trio.fail_after(TIMEOUT):
                result = await trio.run_process(
                    [self.prog, *self.args],
                    stdin=stdin,
                    capture_stdout=True,
                    capture_stderr=True,
                    check=False,
                )
        except (OSError, trio.TooSlowError) as exc:
            raise HandlerFailed(f"failed to run {self.prog}: {exc or 'timeout'}") from None
        if result.returncode != 0:
            err = result.stderr.decode(errors="replace").strip()[:512]
            raise HandlerFailed(f"{self.prog} exited with status {result.returncode}: {err}")


def _from_tick(args: list[Any], props: dict[str, Any]) -> dict[str, Any]:
    return {"prog": args[0] if args else "", "args": [str(a) for a in args[1:]]}


_ = subprocess
register("exec", ExecHandler, _from_tick)
