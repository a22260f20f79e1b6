"""The `influxd_url` fixture and a skipping `running_influxd` for tests that need a real InfluxDB."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from kapacitrio.testing import influxd as local
from kapacitrio.testing.ports import free_port

__all__ = ["free_port", "influxd_url", "running_influxd"]


@contextmanager
def running_influxd(subscriber: bool = False) -> Iterator[str]:
    """Start influxd and yield its HTTP URL (the test is skipped when influxd is not installed)."""
    if local.influxd_path() is None:
        pytest.skip("influxd is not on PATH")
    with local.running_influxd(subscriber=subscriber) as server:
        yield server.url


@pytest.fixture(scope="session")
def influxd_url() -> Iterator[str]:
    with running_influxd() as url:
        yield url
