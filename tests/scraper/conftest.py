"""A real exporter process for the scraper tests."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.scraper.exporter import exporter_process


@pytest.fixture(scope="module")
def exporter() -> Iterator[str]:
    """`127.0.0.1:PORT` of a running exporter."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = exporter_process(port)
    yield f"127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)
