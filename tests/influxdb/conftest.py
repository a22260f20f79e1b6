"""Fixtures for the InfluxDB client tests."""

from tests.influxdb.influxd import influxd_url  # noqa: F401
