"""The `exec` handler: runs a program with the alert JSON on its standard input."""

from __future__ import annotations

from dataclasses import dataclass

import trio

from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import define
from kapacitrio.alerting.handlers.base import HandlerEnv, HandlerFailed
from kapacitrio.alerting.handlers.kind import Ctx, Kind, Tick
from kapacitrio.alerting.handlers.options import STRINGS, Opt, Table, Values

TIMEOUT = 30.0


def _prog(value: str) -> str:
    if not value:
        raise ValueError("exec handler requires a program")
    return value


TABLE = Table(
    "*alert.ExecHandlerConfig",
    (Opt("prog", convert=_prog, tick=""), Opt("args", STRINGS, tick="")),
)


@dataclass
class Run:
    """One run of the program, fed `stdin`."""

    argv: list[str]
    stdin: bytes

    async def send(self, env: HandlerEnv) -> None:
        try:
            with trio.fail_after(TIMEOUT):
                result = await trio.run_process(
                    self.argv,
                    stdin=self.stdin,
                    capture_stdout=True,
                    capture_stderr=True,
                    check=False,
                )
        except (OSError, trio.TooSlowError) as exc:
            raise HandlerFailed(f"failed to run {self.argv[0]}: {exc or 'timeout'}") from None
        if result.returncode != 0:
            err = result.stderr.decode(errors="replace").strip()[:512]
            raise HandlerFailed(f"{self.argv[0]} exited with status {result.returncode}: {err}")


def request(o: Values, event: Event, ctx: Ctx) -> Run:
    return Run([o["prog"], *o["args"]], event.alert_text().encode())


define(
    Kind(
        "exec",
        TABLE,
        request,
        Tick("exec", "ExecHandler", ("...string",), ("prog", "*args")),
    )
)
