"""The processes a benchmark measures: a fresh `kapacitrio serve` and Debian's `influxd` on loopback."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

from kapacitrio.testing.influxd import free_port, running_influxd


@dataclass
class Server:
    """A started server: its base URL and process id (for its memory)."""

    url: str
    pid: int


def wait_http(url: str, proc: subprocess.Popen, deadline_s: float = 60.0) -> None:
    """Poll `url` until it answers with a 2xx status; fail if the process exits first."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1.0).is_success:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=30)


@contextlib.contextmanager
def kapacitrio_server(
    source: str | None = None, settings: dict[str, str] | None = None
) -> Iterator[Server]:
    """Start `kapacitrio serve` on a free port with a temporary data dir; `source` is another
    checkout to run instead of the installed one (`-m` imports from the working directory);
    `settings` are further KAPACITOR_* environment settings."""
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        env = dict(
            os.environ,
            KAPACITOR_HTTP_BIND_ADDRESS=f"127.0.0.1:{port}",
            KAPACITOR_DATA_DIR=data_dir,
            KAPACITOR_LOGGING_LEVEL="ERROR",
            **(settings or {}),
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "kapacitrio", "serve"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=source,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_http(f"{base}/kapacitor/v1/ping", proc)
            yield Server(base, proc.pid)
        finally:
            _stop(proc)


@contextlib.contextmanager
def influxdb_server(database: str = "bench") -> Iterator[Server]:
    """Start Debian's influxd on loopback with a throwaway data dir and `database` created."""
    with running_influxd(database=database) as influxd:
        yield Server(influxd.url, influxd.pid)


def rss_bytes(pid: int) -> int:
    """Resident set size of a process, from /proc."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")
