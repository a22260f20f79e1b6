"""A real mosquitto broker on a free loopback port, for tests of the MQTT handler."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kapacitrio.testing.ports import free_port, wait_listening


@contextmanager
def running_mosquitto(workdir: Path, start_timeout: float = 10.0) -> Iterator[int]:
    """Run mosquitto (its config kept in `workdir`) for the `with` block and give its port.

    Skips the test when mosquitto is not installed; fails it when the broker does not listen in time.
    """
    exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(exe).exists():
        pytest.skip("mosquitto is not installed")
    port = free_port()
    conf = workdir / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    proc = subprocess.Popen(
        [exe, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_listening(port, start_timeout, "mosquitto")
        yield port
    finally:
        proc.terminate()
        proc.wait(5)
