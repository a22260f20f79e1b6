"""The InfluxDB service: picking clusters from `[[influxdb]]` config, live, and using them."""

from types import SimpleNamespace

import pytest
import trio

from kapacitrio.config import InfluxDBConfig
from kapacitrio.influxdb.clusters import lookup
from kapacitrio.influxdb.service import InfluxDBService, start


class Cfg:
    def __init__(self, sections):
        self.sections = sections

    def get(self, name):
        if name != "influxdb":
            raise KeyError(name)
        return self.sections


def test_pick_by_name_default_and_enabled():
    a = InfluxDBConfig(enabled=True, name="a", urls=["http://a:8086"])
    b = InfluxDBConfig(enabled=True, name="b", default=True, urls=["http://b:8086"])
    off = InfluxDBConfig(enabled=False, name="off", urls=["http://off:8086"])
    svc = InfluxDBService(Cfg([a, b, off]))
    assert svc.get().url == "http://b:8086"
    assert svc.get("a").url == "http://a:8086"
    assert svc.get("off") is None and svc.get("nope") is None
    assert svc.get("a") is svc.get("a")  # cached while the settings are unchanged
    b.default = False
    assert svc.get().url == "http://a:8086"  # follows config changes
    a.urls = ["http://a2:8086"]
    assert svc.get("a").url == "http://a2:8086"


def test_no_sections_or_config():
    assert InfluxDBService(Cfg([])).get() is None
    assert InfluxDBService(None).get() is None


@pytest.mark.influxdb
async def test_plugin_attaches_working_clients(influxd_url):
    services = SimpleNamespace(
        config=Cfg([InfluxDBConfig(enabled=True, name="main", urls=[influxd_url], timeout="5s")]),
        influxdb=None,
    )
    async with trio.open_nursery() as nursery:
        await start(services, nursery)
        client = lookup(services, "main")
        assert client is not None and client.timeout == 5.0
        assert (await client.ping()).startswith("1.")
        assert lookup(services, "") is client
        nursery.cancel_scope.cancel()


@pytest.mark.influxdb
async def test_service_test_pings_the_cluster(influxd_url):
    from kapacitrio.alerting.servicetests import TESTS

    services = SimpleNamespace(
        config=Cfg([InfluxDBConfig(enabled=True, name="main", urls=[influxd_url])]),
        influxdb=None,
    )
    async with trio.open_nursery() as nursery:
        await start(services, nursery)
        defaults, fn = TESTS["influxdb"]
        assert defaults == {"cluster": ""}
        assert await fn(services, {"cluster": ""}) == (True, "")
        assert await fn(services, {"cluster": "other"}) == (
            False,
            "cluster 'other' is not enabled or does not exist",
        )
        services.config.sections[0].urls = ["http://127.0.0.1:9"]
        ok, message = await fn(services, {"cluster": "main"})
        assert not ok and "127.0.0.1:9" in message
        nursery.cancel_scope.cancel()
