"""A real `influxd` on free loopback ports with a throwaway data directory, for tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

CONFIG = """
reporting-disabled = true
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_influxd(subscriber: bool = False) -> Iterator[str]:
    """Start influxd and yield its HTTP URL; stopped and cleaned up afterwards.

    `subscriber=True` turns on InfluxDB's subscriber service (it pushes writes to subscriptions).
    """
    exe = shutil.which("influxd")
    if exe is None:
        pytest.skip("influxd is not on PATH")
    tmp = Path(tempfile.mkdtemp(prefix="influxd-"))
    http = free_port()
    conf = tmp / "influxdb.conf"
    conf.write_text(
        CONFIG.format(
            dir=tmp, rpc=free_port(), http=http, subscriber="true" if subscriber else "false"
        )
    )
    log = open(tmp / "influxd.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([exe, "-config", str(conf)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{http}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"influxd exited: {(tmp / 'influxd.log').read_text()[-2000:]}")
            try:
                if httpx.get(url + "/ping", timeout=1).status_code == 204:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("influxd did not answer /ping within 30s")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def influxd_url() -> Iterator[str]:
    with running_influxd() as url:
        yield url
