"""Helpers for the CLI tests: results of in-process runs and `kapacitrio` child processes."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass


@dataclass
class Result:
    code: int
    out: str
    err: str


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAPACITOR_", "KAPACITRIO_"))}
    env.update(extra)
    return env


def spawn(*argv: str, env: dict[str, str] | None = None, **kwargs: object) -> subprocess.Popen:
    """Start `python -m kapacitrio ARGS...` as its own process."""
    return subprocess.Popen(
        [sys.executable, "-m", "kapacitrio", *argv],
        env=env or cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,  # type: ignore[arg-type]
    )
