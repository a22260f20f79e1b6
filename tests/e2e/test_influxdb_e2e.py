"""End-to-end with a real influxd: stream tasks fed by subscriptions, batch tasks querying on schedule."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from kapacitrio.testing.polling import wait_for
from tests.influxdb.influxd import running_influxd

pytestmark = pytest.mark.influxdb

TASKS = "/kapacitor/v1/tasks"


@pytest.fixture(scope="module")
def influxd_pushing() -> Iterator[str]:
    """An influxd of this module's own whose subscriber service pushes writes to subscriptions."""
    with running_influxd(subscriber=True) as url:
        yield url


def q(url: str, text: str) -> dict:
    r = httpx.post(url + "/query", data={"q": text})
    assert r.status_code == 200, r.text
    return r.json()["results"][0]


@pytest.fixture
def influxd(influxd_pushing) -> Iterator[str]:
    """The module's influxd with no databases (hence no subscriptions) left by an earlier test."""
    url = influxd_pushing

    def clear() -> None:
        for row in (q(url, "SHOW DATABASES").get("series") or [{}])[0].get("values") or []:
            q(url, f'DROP DATABASE "{row[0]}"')

    clear()
    yield url
    clear()


def subscriptions(url: str) -> list[tuple[str, str, str, str, list[str]]]:
    out = []
    for series in q(url, "SHOW SUBSCRIPTIONS").get("series") or []:
        for rp, name, mode, dests in series["values"]:
            out.append((series["name"], rp, name, mode, dests))
    return sorted(out)


def influx_config(url: str, **extra: str) -> str:
    lines = [
        "[[influxdb]]",
        "enabled = true",
        'name = "main"',
        f'urls = ["{url}"]',
        'subscription-protocol = "http"',
        'kapacitor-hostname = "127.0.0.1"',
    ]
    lines += [f"{k.replace('_', '-')} = {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def enable(c: httpx.Client, task_id: str, kind: str, script: str, dbrps: list[dict]) -> None:
    body = {"id": task_id, "type": kind, "dbrps": dbrps, "script": script, "status": "enabled"}
    r = c.post(TASKS, json=body)
    assert r.status_code == 200, r.text
    assert r.json()["executing"] is True, r.json()


def write_influx(url: str, db: str, body: str, precision: str = "s") -> None:
    r = httpx.post(url + "/write", params={"db": db, "precision": precision}, content=body)
    assert r.status_code == 204, r.text


def http_out(c: httpx.Client, task_id: str, endpoint: str) -> list[dict]:
    r = c.get(f"{TASKS}/{task_id}/{endpoint}")
    assert r.status_code == 200, r.text
    return r.json().get("series") or []


def node_stats(c: httpx.Client, task_id: str, prefix: str) -> dict:
    stats = c.get(f"{TASKS}/{task_id}").json()["stats"]["node-stats"]
    return next(v for k, v in stats.items() if k.startswith(prefix))


def ensure_pushing(c: httpx.Client, url: str, db: str) -> None:
    """Wait until InfluxDB's subscriber pushes db's writes to the server.

    InfluxDB starts a new subscription's writer a moment after `CREATE SUBSCRIPTION` returns; a
    write before that is not pushed. A probe task sees probe points written until one arrives.
    """
    enable(c, "probe", "stream", "stream|from().measurement('probe')|httpOut('seen')",
           [{"db": db, "rp": "autogen"}])  # fmt: skip

    def seen() -> bool:
        if http_out(c, "probe", "seen"):
            return True
        write_influx(url, db, "probe value=1")
        return False

    wait_for(seen, what="InfluxDB to push writes")
    assert c.delete(f"{TASKS}/probe").status_code == 204


# -- (1) stream tasks fed by InfluxDB subscriptions -------------------------------------------


def test_stream_task_fed_through_a_subscription(server_factory, influxd):
    q(influxd, "CREATE DATABASE telegraf")
    q(influxd, "CREATE DATABASE other")
    srv = server_factory(config=influx_config(influxd, subscriptions_sync_interval='"1s"'))
    c = srv.client
    cluster_id = c.get("/kapacitor/v1/debug/vars").json()["cluster_id"]
    name = f"kapacitor-{cluster_id}"
    dest = [f"http://127.0.0.1:{srv.port}"]
    want = [
        ("other", "autogen", name, "ANY", dest),
        ("telegraf", "autogen", name, "ANY", dest),
    ]
    assert wait_for(lambda: subscriptions(influxd) == want, what="subscriptions")
    assert c.get("/kapacitor/v1/debug/vars").json()["num_subscriptions"] == 2

    ensure_pushing(c, influxd, "telegraf")
    enable(
        c,
        "cpu",
        "stream",
        "stream|from().measurement('cpu')|eval(lambda: \"value\" * 10.0).as('v10')|httpOut('out')",
        [{"db": "telegraf", "rp": "autogen"}],
    )
    # Written to InfluxDB only: it reaches the task because InfluxDB pushes it to us.
    write_influx(influxd, "telegraf", "cpu,host=a value=4.5 1700000000")
    expect = [
        {
            "name": "cpu",
            "tags": {"host": "a"},
            "columns": ["time", "v10"],
            "values": [["2023-11-14T22:13:20Z", 45.0]],
        }
    ]
    assert wait_for(lambda: http_out(c, "cpu", "out") == expect, what="the pushed point")
    # Another database's writes are pushed too, but not routed to this task's db/rp.
    write_influx(influxd, "other", "cpu,host=z value=99 1700000001")
    write_influx(influxd, "telegraf", "cpu,host=b value=1 1700000002")
    assert wait_for(
        lambda: http_out(c, "cpu", "out") and http_out(c, "cpu", "out")[0]["tags"] == {"host": "b"},
        what="the second point",
    )
    assert node_stats(c, "cpu", "from")["emitted"] == 2

    # A database made while the server runs is subscribed at the next sync.
    q(influxd, "CREATE DATABASE later")
    assert wait_for(
        lambda: ("later", "autogen", name, "ANY", dest) in subscriptions(influxd),
        what="the new database's subscription",
    )


def test_restart_keeps_one_subscription_and_repairs_a_stale_one(server_factory, influxd):
    q(influxd, "CREATE DATABASE telegraf")
    srv = server_factory(config=influx_config(influxd, subscriptions_sync_interval='"1s"'))
    cluster_id = srv.client.get("/kapacitor/v1/debug/vars").json()["cluster_id"]
    name = f"kapacitor-{cluster_id}"
    want = [("telegraf", "autogen", name, "ANY", [f"http://127.0.0.1:{srv.port}"])]
    assert wait_for(lambda: subscriptions(influxd) == want, what="subscription")

    # Someone points our subscription elsewhere while we are down; the restart repairs it and
    # the cluster id (hence the name) is the same, so there is still just one.
    srv.stop()
    q(influxd, f'DROP SUBSCRIPTION "{name}" ON telegraf.autogen')
    q(influxd, f"CREATE SUBSCRIPTION \"{name}\" ON telegraf.autogen DESTINATIONS ALL 'http://x:1'")
    srv.start()
    assert srv.client.get("/kapacitor/v1/debug/vars").json()["cluster_id"] == cluster_id
    assert wait_for(lambda: subscriptions(influxd) == want, what="the repaired subscription")
    ensure_pushing(srv.client, influxd, "telegraf")
    enable(
        srv.client,
        "t",
        "stream",
        "stream|from().measurement('m')|httpOut('out')",
        [{"db": "telegraf", "rp": "autogen"}],
    )
    write_influx(influxd, "telegraf", "m value=1 1700000000")
    assert wait_for(lambda: http_out(srv.client, "t", "out"), what="a pushed point")


def test_udp_subscription_feeds_a_stream_task(server_factory, influxd):
    q(influxd, "CREATE DATABASE telegraf")
    config = influx_config(influxd).replace('"http"', '"udp"') + 'udp-bind = "127.0.0.1"\n'
    srv = server_factory(config=config)
    c = srv.client
    enable(
        c,
        "u",
        "stream",
        "stream|from().measurement('m')|httpOut('out')",
        [{"db": "telegraf", "rp": "autogen"}],
    )
    subs = wait_for(lambda: subscriptions(influxd), what="the UDP subscription")
    assert len(subs) == 1 and subs[0][4][0].startswith("udp://127.0.0.1:")
    assert subs[0][4][0] != f"udp://127.0.0.1:{srv.port}"  # a listener of its own
    ensure_pushing(c, influxd, "telegraf")
    write_influx(influxd, "telegraf", "m,k=v value=3 1700000000")
    expect = [
        {
            "name": "m",
            "tags": {"k": "v"},
            "columns": ["time", "value"],
            "values": [["2023-11-14T22:13:20Z", 3.0]],
        }
    ]
    assert wait_for(lambda: http_out(c, "u", "out") == expect, what="the point sent over UDP")


def test_excluded_and_disabled_subscriptions(server_factory, influxd):
    q(influxd, "CREATE DATABASE keep")
    q(influxd, "CREATE DATABASE skip")
    q(influxd, 'CREATE RETENTION POLICY "long" ON keep DURATION 52w REPLICATION 1')
    srv = server_factory(
        config=influx_config(influxd)
        + '[influxdb.excluded-subscriptions]\nskip = ["autogen"]\nkeep = ["long"]\n'
    )
    only_keep = lambda: [s[:2] for s in subscriptions(influxd)] == [("keep", "autogen")]  # noqa: E731
    assert wait_for(only_keep, what="the one wanted subscription")
    srv.stop()

    off = server_factory(config=influx_config(influxd, disable_subscriptions="true"))
    q(influxd, "CREATE DATABASE fresh")
    enable(
        off.client,
        "probe",
        "stream",
        "stream|from()|httpOut('x')",
        [{"db": "fresh", "rp": "autogen"}],
    )
    wait_for(lambda: "subscriptions disabled" in off.logs(), what="the service to look")
    # Nothing of ours appears for the new database (the old server's subscription stays).
    assert only_keep()


def test_config_overrides_relink_at_once(server_factory, influxd):
    q(influxd, "CREATE DATABASE telegraf")
    srv = server_factory(config=influx_config(influxd))  # the next sync is a minute away
    c = srv.client
    dests = lambda: [s[4] for s in subscriptions(influxd)]  # noqa: E731
    assert wait_for(lambda: dests() == [[f"http://127.0.0.1:{srv.port}"]], what="subscription")
    url = "/kapacitor/v1/config/influxdb/main"
    r = c.post(url, json={"set": {"disable-subscriptions": True}})
    assert r.status_code == 204, r.text
    assert wait_for(lambda: dests() == [], what="the subscription to be dropped")
    r = c.post(
        url, json={"set": {"disable-subscriptions": False, "kapacitor-hostname": "localhost"}}
    )
    assert r.status_code == 204, r.text
    assert wait_for(lambda: dests() == [[f"http://localhost:{srv.port}"]], what="the new one")
    # Dropped behind our back: POST /subscriptions links again at once.
    cid = c.get("/kapacitor/v1/debug/vars").json()["cluster_id"]
    q(influxd, f'DROP SUBSCRIPTION "kapacitor-{cid}" ON telegraf.autogen')
    r = c.post("/kapacitor/v1/subscriptions")
    assert r.status_code == 204, r.text
    assert dests() == [[f"http://localhost:{srv.port}"]]


def test_server_starts_and_retries_while_influxdb_is_down(server_factory):
    srv = server_factory(config=influx_config("http://127.0.0.1:9"))
    assert srv.client.get("/kapacitor/v1/ping").status_code == 204
    wait_for(lambda: "failed to link subscriptions for cluster" in srv.logs(), what="the log")
    wait_for(lambda: srv.logs().count("failed to link subscriptions") >= 2, what="a retry")
    assert srv.running
    r = srv.client.post("/kapacitor/v1/subscriptions")
    assert r.status_code == 500
    error = r.json()["error"]
    assert error.startswith("failed to link subscriptions: linking cluster main: ")
    assert "127.0.0.1:9" in error


# -- (2) batch tasks querying InfluxDB on their schedule --------------------------------------


def test_batch_task_queries_influxdb_every_tick(server_factory, influxd):
    q(influxd, "CREATE DATABASE telegraf")
    now = int(time.time())
    write_influx(
        influxd,
        "telegraf",
        f"cpu,host=a value=1 {now - 3}\ncpu,host=a value=3 {now - 2}\ncpu,host=b value=10 {now - 2}",
    )
    srv = server_factory(config=influx_config(influxd, disable_subscriptions="true"))
    c = srv.client
    script = """
batch
    |query('SELECT mean(value) AS m, count(value) AS n FROM "telegraf"."autogen"."cpu"')
        .period(1h)
        .every(300ms)
        .groupBy('host')
    // Query results hold floats, as in Kapacitor: an integer count times a float is fine.
    |eval(lambda: "n" * 2.0).as('n2').keep('m', 'n')
    |httpOut('out')
"""
    enable(c, "mean", "batch", script, [{"db": "telegraf", "rp": "autogen"}])
    buckets = """
batch
    |query('SELECT max(value) AS mx FROM "telegraf"."autogen"."cpu"')
        .period(1m)
        .every(300ms)
        .groupBy(time(1s))
        .fill('null')
    |httpOut('out')
"""
    enable(c, "buckets", "batch", buckets, [{"db": "telegraf", "rp": "autogen"}])

    def bucket_values() -> list:
        series = http_out(c, "buckets", "out")
        return series[0]["values"] if series else []

    def by_host() -> dict[str, list]:
        series = http_out(c, "mean", "out")
        return {s["tags"]["host"]: s["values"][0][1:] for s in series if s.get("values")}

    assert wait_for(lambda: by_host() == {"a": [2, 2], "b": [10, 1]}, what="the first query")
    series = http_out(c, "mean", "out")
    assert [s["columns"] for s in series] == [["time", "m", "n"]] * 2
    assert {s["name"] for s in series} == {"cpu"}
    assert node_stats(c, "mean", "eval")["errors"] == 0
    # Time buckets left null by fill(null) are dropped; the filled ones remain.
    iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))  # noqa: E731
    assert wait_for(
        lambda: bucket_values() == [[iso(now - 3), 1], [iso(now - 2), 10]], what="buckets"
    )
    first = node_stats(c, "mean", "query")["batches_queried"]
    assert first >= 2

    # A later tick sees data written after the first one.
    write_influx(influxd, "telegraf", f"cpu,host=a value=8 {now - 1}")
    assert wait_for(lambda: by_host() == {"a": [4, 3], "b": [10, 1]}, what="a later query")
    assert wait_for(lambda: len(bucket_values()) == 3, what="the new bucket")
    assert bucket_values()[-1] == [iso(now - 1), 8]
    stats = node_stats(c, "mean", "query")
    assert stats["batches_queried"] > first and stats["query_errors"] == 0
    assert c.get(f"{TASKS}/mean").json()["executing"] is True


def test_batch_query_errors_are_counted_and_the_task_keeps_running(server_factory, influxd):
    srv = server_factory(config=influx_config(influxd, disable_subscriptions="true"))
    c = srv.client
    script = (
        'batch|query(\'SELECT mean(value) FROM "nodb"."autogen"."cpu"\')'
        ".period(1m).every(200ms)|httpOut('out')"
    )
    enable(c, "bad", "batch", script, [{"db": "nodb", "rp": "autogen"}])
    assert wait_for(lambda: node_stats(c, "bad", "query")["query_errors"] >= 2, what="errors")
    assert "database not found: nodb" in srv.logs()
    task = c.get(f"{TASKS}/bad").json()
    assert task["executing"] is True and task["error"] == ""
    assert http_out(c, "bad", "out") == []


def test_batch_queries_follow_influxdb_config_changes(server_factory, influxd):
    q(influxd, "CREATE DATABASE telegraf")
    write_influx(influxd, "telegraf", f"cpu value=5 {int(time.time()) - 1}")
    config = influx_config("http://127.0.0.1:9", disable_subscriptions="true")
    srv = server_factory(config=config)
    c = srv.client
    script = (
        'batch|query(\'SELECT last(value) AS v FROM "telegraf"."autogen"."cpu"\')'
        ".period(1h).every(200ms)|httpOut('out')"
    )
    enable(c, "follow", "batch", script, [{"db": "telegraf", "rp": "autogen"}])
    assert wait_for(lambda: node_stats(c, "follow", "query")["query_errors"] >= 1, what="errors")
    r = c.post("/kapacitor/v1/config/influxdb/main", json={"set": {"urls": [influxd]}})
    assert r.status_code == 204, r.text
    out = wait_for(lambda: http_out(c, "follow", "out"), what="a result from the new URL")
    assert out[0]["values"][0][1] == 5


def test_subscription_pushes_through_auth_with_its_own_token(server_factory, influxd):
    """With auth on, each subscription's URL carries `~subscriber` and a token of its own."""
    q(influxd, "CREATE DATABASE secured")
    env = {
        "KAPACITOR_HTTP_AUTH_ENABLED": "true",
        "KAPACITOR_AUTH_ADMIN_USERNAME": "admin",
        "KAPACITOR_AUTH_ADMIN_PASSWORD": "pw",
        "KAPACITOR_AUTH_BCRYPT_COST": "4",
    }
    srv = server_factory(env=env, config=influx_config(influxd, subscriptions_sync_interval='"1s"'))
    assert srv.client.get(TASKS).status_code == 401
    with httpx.Client(base_url=srv.url, auth=("admin", "pw"), timeout=30) as c:
        prefix = "http://~subscriber:"

        def token_url() -> bool:
            subs = [s for s in subscriptions(influxd) if s[0] == "secured"]
            return bool(subs) and subs[0][4][0].startswith(prefix)

        assert wait_for(token_url, what="a subscription with a token")
        dest = next(s for s in subscriptions(influxd) if s[0] == "secured")[4][0]
        token = dest[len(prefix) :].split("@", 1)[0]
        assert len(token) >= 32
        ensure_pushing(c, influxd, "secured")
        enable(c, "sec", "stream", "stream|from().measurement('cpu')|httpOut('out')",
               [{"db": "secured", "rp": "autogen"}])  # fmt: skip
        write_influx(influxd, "secured", "cpu,host=a value=1 1700000000")
        assert wait_for(lambda: http_out(c, "sec", "out"), what="the pushed point")
        # the token only writes: it reads nothing
        r = httpx.get(f"{srv.url}{TASKS}", auth=("~subscriber", token))
        assert r.status_code == 403
        r = httpx.post(f"{srv.url}/write?db=secured", content=b"x v=1", auth=("~subscriber", "bad"))
        assert (r.status_code, r.json()) == (401, {"error": "invalid subscription token"})
