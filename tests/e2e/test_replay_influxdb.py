"""End-to-end: batch and query recordings and replays against a real influxd."""

from __future__ import annotations

import time

import httpx

from kapacitrio.models.timefmt import format_rfc3339
from tests.e2e.test_replay_api import RECORDINGS, REPLAYS, S, define, wait_done
from tests.influxdb.influxd import influxd_url  # noqa: F401  (fixture)

M = 60 * S
BATCH = """batch
    |query('SELECT mean("value") AS value FROM "rdb"."autogen"."cpu"')
        .period(1m)
        .every(1m)
    |httpOut('out')
"""
STREAM = """stream
    |from()
        .measurement('cpu')
    |alert()
        .crit(lambda: "value" > 4)
        .id('cpu')
"""


def seed(url: str) -> int:
    """Three cpu points, a minute apart, in database rdb; returns the minute they start at."""
    t0 = (time.time_ns() - 30 * M) // M * M
    httpx.post(f"{url}/query", data={"q": "CREATE DATABASE rdb"}).raise_for_status()
    body = "\n".join(f"cpu,host=a value={v} {t0 + 10 * S + i * M}" for i, v in enumerate([1, 3, 5]))
    r = httpx.post(f"{url}/write", params={"db": "rdb"}, content=body)
    assert r.status_code == 204, r.text
    return t0


def make_server(server_factory, url):
    config = f'[[influxdb]]\nenabled = true\nname = "main"\ndefault = true\nurls = ["{url}"]\n'
    return server_factory(config=config)


def batch_values(c, replay_id):
    replay = wait_done(c, f"{REPLAYS}/{replay_id}")
    assert replay["status"] == "finished", replay
    return replay["stats"]["node-stats"]


def test_batch_recording_and_replays(server_factory, influxd_url):  # noqa: F811
    t0 = seed(influxd_url)
    srv = make_server(server_factory, influxd_url)
    c = srv.client
    define(c, "b", BATCH, "batch", status="disabled")
    window = {"start": format_rfc3339(t0), "stop": format_rfc3339(t0 + 3 * M)}
    r = c.post(RECORDINGS + "/batch", json={"id": "br", "task": "b", **window})
    assert r.status_code == 201, r.text
    rec = wait_done(c, f"{RECORDINGS}/br")
    assert rec["status"] == "finished", rec
    assert rec["type"] == "batch" and rec["size"] > 0

    r = c.post(REPLAYS, json={"id": "r1", "task": "b", "recording": "br", "recording-time": True})
    assert r.status_code == 201, r.text
    nodes = batch_values(c, "r1")
    assert nodes["query1"]["emitted"] == 3
    assert nodes["query1"]["points_queried"] == 3

    # the same without recording first
    r = c.post(REPLAYS + "/batch", json={"id": "r2", "task": "b", **window})
    assert r.status_code == 201, r.text
    assert r.json()["recording"] == ""
    assert batch_values(c, "r2")["query1"]["emitted"] == 3

    # a stream task cannot take the batch recording
    define(c, "s", STREAM, status="disabled")
    r = c.post(REPLAYS, json={"task": "s", "recording": "br"})
    assert r.status_code == 400
    assert r.json()["error"] == "cannot replay batch recording br against stream task s"


def test_query_recordings_and_replays(server_factory, influxd_url):  # noqa: F811
    t0 = seed(influxd_url)
    srv = make_server(server_factory, influxd_url)
    c = srv.client
    c.post(
        "/kapacitor/v1/tasks",
        json={
            "id": "s",
            "type": "stream",
            "dbrps": [{"db": "rdb", "rp": "autogen"}],
            "script": STREAM,
            "status": "disabled",
        },
    ).raise_for_status()
    q = (
        'SELECT value FROM "rdb"."autogen"."cpu" '
        f"WHERE time >= '{format_rfc3339(t0)}' AND time < '{format_rfc3339(t0 + 3 * M)}'"
    )
    r = c.post(RECORDINGS + "/query", json={"id": "qs", "type": "stream", "query": q})
    assert r.status_code == 201, r.text
    assert wait_done(c, f"{RECORDINGS}/qs")["status"] == "finished"
    assert c.post(REPLAYS, json={"id": "a", "task": "s", "recording": "qs"}).status_code == 201
    nodes = batch_values(c, "a")
    assert nodes["from1"]["emitted"] == 3
    assert nodes["alert2"]["crits_triggered"] == 1

    r = c.post(REPLAYS + "/query", json={"id": "b", "task": "s", "query": q})
    assert r.status_code == 201, r.text
    assert batch_values(c, "b")["alert2"]["crits_triggered"] == 1

    r = c.post(RECORDINGS + "/query", json={"id": "qb", "type": "batch", "query": q})
    assert wait_done(c, f"{RECORDINGS}/qb")["type"] == "batch"
    define(c, "bt", BATCH, "batch", status="disabled")
    assert c.post(REPLAYS, json={"id": "c", "task": "bt", "recording": "qb"}).status_code == 201
    assert batch_values(c, "c")["query1"]["points_queried"] == 3

    r = c.post(REPLAYS + "/query", json={"id": "d", "task": "s", "query": "SELECT nope FROM"})
    replay = wait_done(c, f"{REPLAYS}/d")
    assert replay["status"] == "failed"
    assert (
        replay["error"].startswith("could not determine database")
        or "InfluxDB query failed" in replay["error"]
    )
