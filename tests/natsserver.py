"""A real nats-server with JetStream on a free loopback port, for tests of the cluster's storage."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kapacitrio.testing.ports import free_port, wait_listening
from tests.cluster.netns import NATS_SERVER


@contextmanager
def running_nats(workdir: Path, start_timeout: float = 10.0) -> Iterator[str]:
    """Run nats-server -js (its store in `workdir`) for the `with` block and give its URL.

    Skips the test when nats-server is not installed; fails it when it does not listen in time.
    """
    if not Path(NATS_SERVER).exists():
        pytest.skip("nats-server is not installed")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    store = workdir / "jetstream"
    argv = [NATS_SERVER, "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", str(store)]
    log = (workdir / "nats.log").open("wb")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_listening(port, start_timeout, "nats-server")
        yield f"nats://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(5)
        log.close()
