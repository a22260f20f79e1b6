"""Free loopback ports and waiting for a helper process to serve HTTP, for tests and scripts."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on `host` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def wait_serving(proc: subprocess.Popen[bytes], url: str, status: int, what: str) -> None:
    """Return once GET `url` answers `status`; kill `proc` and raise if that takes over 15 s."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == status:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"{what} did not start")


def wait_listening(port: int, timeout: float, what: str, host: str = "127.0.0.1") -> None:
    """Return once something accepts TCP connections on `port`; AssertionError after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection((host, port), timeout=0.2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} did not start") from None
            time.sleep(0.05)
