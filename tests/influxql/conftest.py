"""Fixtures for the InfluxQL tests: a real influxd."""

from tests.influxdb.influxd import influxd_url  # noqa: F401
