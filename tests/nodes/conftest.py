"""Fixtures for the node runtime tests."""

from tests.influxdb.influxd import influxd_url  # noqa: F401
