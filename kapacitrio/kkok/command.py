"""Run an external command with JSON on its stdin, with a time limit, never raising on failure."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import trio


@dataclass
class CommandResult:
    """What a command did: `error` is set when it could not run, timed out or exited non-zero."""

    returncode: int | None
    stdout: bytes
    stderr: bytes
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


async def run_command(argv: list[str], payload: Any, timeout: float = 0) -> CommandResult:
    """Run `argv` feeding `payload` as JSON; `timeout` 0 means no time limit."""
    data = (json.dumps(payload) + "\n").encode()
    name = argv[0] if argv else "?"
    try:
        with trio.move_on_after(timeout if timeout > 0 else float("inf")) as scope:
            proc = await trio.run_process(
                argv, stdin=data, capture_stdout=True, capture_stderr=True, check=False
            )
    except OSError as exc:
        return CommandResult(None, b"", b"", f"command {name!r} could not run: {exc}")
    if scope.cancelled_caught:
        return CommandResult(None, b"", b"", f"command {name!r} timed out after {timeout}s")
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip()
        text = f"command {name!r} exited with status {proc.returncode}"
        return CommandResult(
            proc.returncode, proc.stdout, proc.stderr, f"{text}: {err}" if err else text
        )
    return CommandResult(0, proc.stdout, proc.stderr, None)
