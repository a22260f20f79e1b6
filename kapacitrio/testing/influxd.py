"""A real `influxd` (InfluxDB 1.x) on free loopback ports with a throwaway data directory."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from kapacitrio.testing.ports import free_port

CONFIG = """reporting-disabled = true
bind-address = "127.0.0.1:{rpc}"
[meta]
  dir = "{dir}/meta"
[data]
  dir = "{dir}/data"
  wal-dir = "{dir}/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:{http}"
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
[subscriber]
  enabled = {subscriber}
"""


@dataclass(frozen=True)
class LocalInfluxd:
    """A started influxd: its base URL and process id."""

    url: str
    pid: int


def influxd_path() -> str | None:
    """Where Debian's `influxd` is, or None when it is not installed."""
    return shutil.which("influxd") or (
        "/usr/bin/influxd" if Path("/usr/bin/influxd").exists() else None
    )


@contextlib.contextmanager
def running_influxd(
    subscriber: bool = False, database: str | None = None
) -> Iterator[LocalInfluxd]:
    """Start influxd, wait for its /ping, optionally create `database`; stop and clean up after.

    `subscriber=True` turns on InfluxDB's subscriber service (it pushes writes to subscriptions).
    Raises FileNotFoundError when influxd is not installed.
    """
    exe = influxd_path()
    if exe is None:
        raise FileNotFoundError("influxd is not installed (Debian package `influxdb`)")
    tmp = Path(tempfile.mkdtemp(prefix="influxd-"))
    http = free_port()
    conf = tmp / "influxdb.conf"
    conf.write_text(
        CONFIG.format(dir=tmp, rpc=free_port(), http=http, subscriber=str(subscriber).lower())
    )
    log = open(tmp / "influxd.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([exe, "-config", str(conf)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{http}"
    try:
        _wait_ping(url, proc, tmp / "influxd.log")
        if database is not None:
            httpx.post(
                f"{url}/query", params={"q": f"CREATE DATABASE {database}"}
            ).raise_for_status()
        yield LocalInfluxd(url, proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


def _wait_ping(url: str, proc: subprocess.Popen, log: Path, deadline_s: float = 30.0) -> None:
    end = time.monotonic() + deadline_s
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"influxd exited: {log.read_text()[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url + "/ping", timeout=1).status_code == 204:
                return
        if time.monotonic() > end:
            raise RuntimeError(f"influxd did not answer /ping within {deadline_s:.0f}s")
        time.sleep(0.1)
