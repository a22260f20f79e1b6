"""Subscription linking: the plan, the InfluxQL it sends, and the service against a real influxd."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import httpx
import pytest
import trio

from kapacitrio.config import InfluxDBConfig
from kapacitrio.engine.clock import VirtualClock
from kapacitrio.influxdb import subscription_links as links
from kapacitrio.influxdb import subscriptions as subs
from kapacitrio.influxdb.client import InfluxDBClient
from kapacitrio.influxdb.service import InfluxDBService
from kapacitrio.influxdb.subscription_links import (
    Subscription,
    SubscriptionError,
    Target,
    plan,
    target_for,
)
from kapacitrio.influxdb.subscriptions import SubscriptionService
from tests.influxdb.influxd import running_influxd

CID = "0c6a7f7e-1d1d-4a44-9a46-2d2c7e0d0c01"
SID = "5b1e3c55-8d8e-4c5e-b1f6-0f43a1f4d0a2"
NAME = "kapacitor-" + CID
NS = 1_000_000_000


def target(**kw) -> Target:
    base = dict(name=NAME, protocol="http", host="kap", port=9092)
    base.update(kw)
    return Target(**base)


def ours(db, rp, dest="http://kap:9092", name=NAME) -> Subscription:
    return Subscription(db, rp, name, "ANY", (dest,))


# -- planning ---------------------------------------------------------------------------------


def test_plan_creates_one_per_db_rp():
    p = plan(target(), [("db", "autogen"), ("db", "long"), ("other", "autogen")], [])
    assert p.drop == [] and p.keep == []
    assert p.create == [
        ours("db", "autogen"),
        ours("db", "long"),
        ours("other", "autogen"),
    ]


def test_plan_keeps_current_and_leaves_foreign_ones_alone():
    foreign = Subscription("db", "autogen", "someone-else", "ALL", ("http://x:1",))
    p = plan(target(), [("db", "autogen")], [ours("db", "autogen"), foreign])
    assert p.keep == [ours("db", "autogen")]
    assert p.drop == [] and p.create == []


@pytest.mark.parametrize(
    "dest",
    [
        "http://kap:9093",  # port changed
        "http://other:9092",  # hostname changed
        "https://kap:9092",  # protocol changed
        "http://user:secret@kap:9092",  # credentials we did not put there
        "not a url",
    ],
)
def test_plan_replaces_a_stale_destination(dest):
    p = plan(target(), [("db", "autogen")], [ours("db", "autogen", dest)])
    assert p.drop == [ours("db", "autogen", dest)]
    assert p.create == [ours("db", "autogen")]


def test_plan_replaces_old_style_names():
    legacy = ours("db", "autogen", name="kapacitor")
    bare = ours("db", "rp", name=CID)
    p = plan(target(), [("db", "autogen"), ("db", "rp")], [legacy, bare])
    assert p.drop == [legacy, bare]
    assert p.create == [ours("db", "autogen"), ours("db", "rp")]


def test_plan_includes_and_excludes():
    dbrps = [("a", "autogen"), ("a", "long"), ("b", "autogen")]
    only = target(include=frozenset({("a", "long"), ("b", "autogen")}))
    assert [(s.db, s.rp) for s in plan(only, dbrps, []).create] == [("a", "long"), ("b", "autogen")]
    without = target(exclude=frozenset({("a", "long")}))
    p = plan(without, dbrps, [ours("a", "long")])
    assert p.drop == [ours("a", "long")]
    assert [(s.db, s.rp) for s in p.create] == [("a", "autogen"), ("b", "autogen")]


def test_plan_udp_keeps_any_port_of_ours():
    t = target(protocol="udp", port=0)
    p = plan(t, [("db", "autogen")], [ours("db", "autogen", "udp://kap:40000")])
    assert p.keep and not p.create and not p.drop


# -- targets from config ----------------------------------------------------------------------


def services_for(config_sections=(), hostname="localhost", bind=":9092", **kw):
    config = SimpleNamespace(
        hostname=hostname,
        http=SimpleNamespace(bind_address=bind),
        get=lambda name: list(config_sections),
    )
    return SimpleNamespace(
        config=config, cluster_id=CID, server_id=SID, influxdb=None, extra={}, **kw
    )


def test_target_defaults_from_the_server():
    t = target_for(InfluxDBConfig(enabled=True), services_for(hostname="kapa", bind=":9999"))
    assert t.name == NAME and t.destination == "http://kapa:9999"
    assert t.exclude == {("_kapacitor", "autogen")} and t.include == frozenset()


def test_target_options():
    section = InfluxDBConfig(
        enabled=True,
        subscription_mode="server",
        subscription_protocol="https",
        kapacitor_hostname="10.0.0.5",
        http_port=443,
        subscriptions={"db": ["autogen", "long"]},
        excluded_subscriptions={"db": ["long"]},
    )
    t = target_for(section, services_for())
    assert t.name == "kapacitor-" + SID
    assert t.destination == "https://10.0.0.5:443"
    assert t.include == {("db", "autogen"), ("db", "long")}
    assert t.exclude == {("db", "long")}
    assert not t.wanted("db", "long") and t.wanted("db", "autogen")
    assert target_for(InfluxDBConfig(kapacitor_hostname="::1"), services_for()).destination == (
        "http://[::1]:9092"
    )


def test_target_errors():
    with pytest.raises(SubscriptionError) as err:
        target_for(InfluxDBConfig(subscription_protocol="tcp"), services_for())
    assert str(err.value) == (
        "invalid subscription protocol, must be one of 'udp', 'http' or 'https', got tcp"
    )
    with pytest.raises(SubscriptionError, match="invalid subscription mode"):
        target_for(InfluxDBConfig(subscription_mode="both"), services_for())
    with pytest.raises(SubscriptionError, match="http-port"):
        target_for(InfluxDBConfig(), services_for(bind="127.0.0.1:0"))
    assert target_for(InfluxDBConfig(http_port=8000), services_for(bind=":0")).port == 8000


def test_statements_quote_names_and_destinations():
    sub = Subscription('we"ird', "r p", NAME, "ANY", ("http://h:1", "http://it's:2"))
    assert links.create_statement(sub) == (
        f'CREATE SUBSCRIPTION "{NAME}" ON "we\\"ird"."r p" DESTINATIONS ANY '
        "'http://h:1', 'http://it\\'s:2'"
    )
    assert links.drop_statement(sub) == f'DROP SUBSCRIPTION "{NAME}" ON "we\\"ird"."r p"'


# -- against a real influxd -------------------------------------------------------------------


@pytest.fixture(scope="module")
def influxd() -> Iterator[str]:
    """A private influxd: these tests create and drop subscriptions and databases freely."""
    with running_influxd(subscriber=True) as url:
        yield url


def q(url: str, text: str) -> dict:
    r = httpx.post(url + "/query", data={"q": text})
    assert r.status_code == 200, r.text
    return r.json()["results"][0]


def show_subs(url: str) -> set[tuple[str, str, str, str]]:
    out = set()
    for series in q(url, "SHOW SUBSCRIPTIONS").get("series") or []:
        for rp, name, _mode, dests in series["values"]:
            out.add((series["name"], rp, name, dests[0]))
    return out


@pytest.fixture
def clean(influxd) -> str:
    for db in q(influxd, "SHOW DATABASES").get("series", [{}])[0].get("values") or []:
        q(influxd, f'DROP DATABASE "{db[0]}"')
    return influxd


@pytest.mark.influxdb
async def test_link_creates_keeps_and_repairs(clean):
    url = clean
    q(url, "CREATE DATABASE a")
    q(url, 'CREATE RETENTION POLICY "long" ON a DURATION 52w REPLICATION 1')
    q(url, "CREATE DATABASE b")
    q(url, "CREATE SUBSCRIPTION \"other\" ON b.autogen DESTINATIONS ALL 'http://x:1'")
    async with InfluxDBClient(url) as client:
        done = await links.link(client, target())
        assert len(done.create) == 3
        want = {
            ("a", "autogen", NAME, "http://kap:9092"),
            ("a", "long", NAME, "http://kap:9092"),
            ("b", "autogen", NAME, "http://kap:9092"),
            ("b", "autogen", "other", "http://x:1"),
        }
        assert show_subs(url) == want
        again = await links.link(client, target())
        assert (again.create, again.drop, len(again.keep)) == ([], [], 3)
        # The server moved to another port and a policy is now excluded.
        moved = target(port=9100, exclude=frozenset({("a", "long")}))
        done = await links.link(client, moved)
        assert len(done.drop) == 3 and len(done.create) == 2
        assert show_subs(url) == {
            ("a", "autogen", NAME, "http://kap:9100"),
            ("b", "autogen", NAME, "http://kap:9100"),
            ("b", "autogen", "other", "http://x:1"),
        }
        dropped = await links.unlink(client, NAME)
        assert len(dropped) == 2
        assert show_subs(url) == {("b", "autogen", "other", "http://x:1")}


class LiveConfig:
    """A config whose `[[influxdb]]` list the test edits while the service runs."""

    def __init__(self, sections):
        self.sections = sections
        self.hostname = "kap"
        self.http = SimpleNamespace(bind_address=":9092")

    def get(self, name):
        if name != "influxdb":
            raise KeyError(name)
        return self.sections


async def wait_until(fn, timeout=10.0):
    with trio.fail_after(timeout):
        while not fn():
            await trio.sleep(0.01)


@pytest.mark.influxdb
async def test_service_retries_until_influxdb_answers_then_resyncs(clean):
    url = clean
    section = InfluxDBConfig(
        enabled=True, name="main", urls=["http://127.0.0.1:9"], subscriptions_sync_interval="10s"
    )
    config = LiveConfig([section])
    services = SimpleNamespace(
        config=config, cluster_id=CID, server_id=SID, extra={}, influxdb=InfluxDBService(config)
    )
    clock = VirtualClock(1_000 * NS)
    svc = SubscriptionService(services, clock)
    q(url, "CREATE DATABASE a")
    async with trio.open_nursery() as nursery:
        await nursery.start(svc.run)
        state = lambda: svc.clusters.get("main")  # noqa: E731
        # InfluxDB cannot be reached: the failure is kept and the retry comes 1s later, then 2s.
        await wait_until(lambda: state() is not None and state().failures == 1)
        assert "127.0.0.1:9" in state().error and state().next_due == 1_001 * NS
        clock.advance_to(1_001 * NS)
        await wait_until(lambda: state().failures == 2)
        assert state().next_due == 1_003 * NS
        assert show_subs(url) == set()
        # InfluxDB comes up (here: the URL is corrected); the next retry links.
        section.urls = [url]
        clock.advance_to(1_003 * NS)
        await wait_until(lambda: state().linked == NAME)
        assert show_subs(url) == {("a", "autogen", NAME, "http://kap:9092")}
        assert state().failures == 0 and state().next_due == 1_013 * NS
        assert subs.num_subscriptions(services) == 0  # not started through `start`
        assert svc.num_subscriptions == 1
        # Nothing happens before the sync interval; a new database is picked up at it.
        q(url, "CREATE DATABASE b")
        rounds = svc.rounds
        clock.advance_to(1_012 * NS)
        await trio.sleep(0.05)
        assert svc.rounds == rounds and svc.num_subscriptions == 1
        clock.advance_to(1_013 * NS)
        await wait_until(lambda: svc.num_subscriptions == 2)
        assert ("b", "autogen", NAME, "http://kap:9092") in show_subs(url)
        # Switching to server mode replaces the cluster-named subscriptions.
        section.subscription_mode = "server"
        svc.trigger()
        await wait_until(lambda: state().linked == "kapacitor-" + SID)
        assert {s[2] for s in show_subs(url)} == {"kapacitor-" + SID}
        # Disabling subscriptions drops ours; removing the cluster from the config too.
        section.disable_subscriptions = True
        svc.trigger()
        await wait_until(lambda: show_subs(url) == set() and svc.num_subscriptions == 0)
        assert state().linked == ""
        section.disable_subscriptions = False
        svc.trigger()
        await wait_until(lambda: len(show_subs(url)) == 2)
        config.sections = []
        svc.trigger()
        await wait_until(lambda: show_subs(url) == set())
        assert "main" not in svc.clusters
        nursery.cancel_scope.cancel()


@pytest.mark.influxdb
async def test_link_all_reports_the_failing_cluster(clean):
    section = InfluxDBConfig(enabled=True, name="down", urls=["http://127.0.0.1:9"])
    config = LiveConfig([section])
    services = SimpleNamespace(
        config=config, cluster_id=CID, server_id=SID, extra={}, influxdb=InfluxDBService(config)
    )
    svc = SubscriptionService(services, VirtualClock(0))
    with pytest.raises(subs.InfluxDBError, match="^linking cluster down: "):
        await svc.link_all()
    section.urls = [clean]
    q(clean, "CREATE DATABASE a")
    await svc.link_all()
    assert show_subs(clean) == {("a", "autogen", NAME, "http://kap:9092")}
    await services.influxdb.aclose()


async def test_start_registers_the_service_and_counts():
    config = LiveConfig([])
    services = SimpleNamespace(
        config=config, cluster_id=CID, server_id=SID, extra={}, influxdb=InfluxDBService(config)
    )
    async with trio.open_nursery() as nursery:
        svc = await subs.start(services, nursery)
        assert services.extra["subscriptions"] is svc
        assert subs.num_subscriptions(services) == 0
        nursery.cancel_scope.cancel()


class FakeTaskMaster:
    """Records what reaches the engine."""

    def __init__(self):
        self.writes: list[tuple[str, str, str, bytes]] = []

    async def write(self, db, rp, precision, body):
        self.writes.append((db, rp, precision, bytes(body)))
        return 1


@pytest.mark.influxdb
async def test_udp_subscriptions_listen_and_survive_a_restart(clean):
    url = clean
    q(url, "CREATE DATABASE a")
    section = InfluxDBConfig(
        enabled=True,
        name="main",
        urls=[url],
        subscription_protocol="udp",
        kapacitor_hostname="127.0.0.1",
        udp_bind="127.0.0.1",
    )
    config = LiveConfig([section])
    tm = FakeTaskMaster()
    services = SimpleNamespace(
        config=config,
        cluster_id=CID,
        server_id=SID,
        extra={},
        influxdb=InfluxDBService(config),
        taskmaster=tm,
    )

    async def pushed(line: str) -> None:
        async with httpx.AsyncClient() as http:
            r = await http.post(url + "/write", params={"db": "a"}, content=line)
            assert r.status_code == 204
        await wait_until(lambda: any(line.encode() in w[3] for w in tm.writes))
        db, rp, precision, _ = next(w for w in tm.writes if line.encode() in w[3])
        assert (db, rp, precision) == ("a", "autogen", "n")

    async with trio.open_nursery() as nursery:
        svc = SubscriptionService(services, VirtualClock(0))
        await nursery.start(svc.run)
        await wait_until(lambda: svc.clusters.get("main") and svc.clusters["main"].linked)
        listener = svc.clusters["main"].udp.by_dbrp[("a", "autogen")]
        first = show_subs(url)
        assert first == {("a", "autogen", NAME, f"udp://127.0.0.1:{listener.port}")}
        await pushed("m value=1 1000000000")
        svc_scope = nursery.cancel_scope
        svc_scope.cancel()
    assert listener._sock.fileno() == -1  # closed with the service

    # A new run finds its subscription and listens on the same port again.
    async with trio.open_nursery() as nursery:
        svc = SubscriptionService(services, VirtualClock(0))
        await nursery.start(svc.run)
        await wait_until(lambda: svc.clusters.get("main") and svc.clusters["main"].linked)
        assert show_subs(url) == first
        assert svc.clusters["main"].udp.by_dbrp[("a", "autogen")].port == listener.port
        await pushed("m value=2 2000000000")
        # Back to HTTP: the listener closes and the subscription is replaced.
        section.subscription_protocol = "http"
        svc.trigger()
        await wait_until(lambda: svc.clusters["main"].udp.by_dbrp == {})
        assert show_subs(url) == {("a", "autogen", NAME, "http://127.0.0.1:9092")}
        nursery.cancel_scope.cancel()
    await services.influxdb.aclose()


@pytest.mark.influxdb
async def test_first_link_waits_until_our_http_listener_accepts(clean):
    from tests.influxdb.influxd import free_port

    q(clean, "CREATE DATABASE a")
    port = free_port()
    config = LiveConfig([InfluxDBConfig(enabled=True, name="main", urls=[clean])])
    config.http = SimpleNamespace(bind_address=f"127.0.0.1:{port}")
    services = SimpleNamespace(
        config=config, cluster_id=CID, server_id=SID, extra={}, influxdb=InfluxDBService(config)
    )
    svc = SubscriptionService(services, VirtualClock(0), wait_for_http=10.0)
    async with trio.open_nursery() as nursery:
        await nursery.start(svc.run)
        await trio.sleep(0.3)  # nothing listens yet: no link may happen meanwhile
        assert svc.rounds == 0 and show_subs(clean) == set()
        listeners = await trio.open_tcp_listeners(port, host="127.0.0.1")
        await wait_until(lambda: svc.rounds == 1 and len(show_subs(clean)) == 1)
        assert show_subs(clean) == {("a", "autogen", NAME, f"http://kap:{port}")}
        for listener in listeners:
            await listener.aclose()
        nursery.cancel_scope.cancel()
    await services.influxdb.aclose()


@pytest.mark.influxdb
async def test_in_a_cluster_one_member_links_the_cluster_named_subscription(clean):
    """Members share the cluster id, so one subscription is theirs: only its member links it,
    and a new one (after the old is gone) points it at itself."""
    leader = {"name": "a"}
    members = {}
    for name in ("a", "b"):
        config = LiveConfig(
            [InfluxDBConfig(enabled=True, name="main", urls=[clean], kapacitor_hostname=name)]
        )
        cluster = SimpleNamespace(links_subscriptions=lambda n=name: leader["name"] == n)
        services = SimpleNamespace(
            config=config,
            cluster_id=CID,
            server_id=SID + name,
            extra={"cluster": cluster},
            influxdb=InfluxDBService(config),
        )
        members[name] = SubscriptionService(services, VirtualClock(0))
    q(clean, "CREATE DATABASE a")
    for svc in members.values():
        await svc.link_all()
    assert show_subs(clean) == {("a", "autogen", NAME, "http://a:9092")}
    assert members["b"].num_subscriptions == 0
    await members["a"].link_all()  # a second round changes nothing
    await members["b"].link_all()
    assert show_subs(clean) == {("a", "autogen", NAME, "http://a:9092")}
    leader["name"] = "b"  # a is gone: b takes the subscription over
    await members["b"].link_all()
    assert show_subs(clean) == {("a", "autogen", NAME, "http://b:9092")}
    # server mode names subscriptions per member: each links its own, as without a cluster
    for svc in members.values():
        svc.services.config.sections[0].subscription_mode = "server"
        await svc.link_all()
    assert {s[2] for s in show_subs(clean)} == {"kapacitor-" + SID + n for n in "ab"}
    for svc in members.values():
        await svc.services.influxdb.aclose()
