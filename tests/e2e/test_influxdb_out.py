"""End-to-end: influxDBOut writing to a real influxd, kapacitorLoopback feeding another task."""

from __future__ import annotations

import httpx

from kapacitrio.testing.polling import wait_for
from tests.influxdb.influxd import influxd_url  # noqa: F401  (fixture)

TASKS = "/kapacitor/v1/tasks"


def enable(c, task_id, script, dbrps):
    r = c.post(
        TASKS,
        json={
            "id": task_id,
            "type": "stream",
            "dbrps": dbrps,
            "script": script,
            "status": "enabled",
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["executing"] is True, r.json()


def test_influxdb_out_writes_to_influxd(server_factory, influxd_url):  # noqa: F811
    config = f'[[influxdb]]\nenabled = true\nname = "main"\nurls = ["{influxd_url}"]\n'
    srv = server_factory(config=config)
    c = srv.client
    script = (
        "stream|from().measurement('cpu')"
        "|influxDBOut().database('e2e_out').retentionPolicy('autogen').create()"
        ".measurement('cpu_copy').tag('via', 'kapacitrio').buffer(2)"
    )
    enable(c, "out", script, [{"db": "db", "rp": "rp"}])
    body = "cpu,host=a value=1 31536000\ncpu,host=b value=2 31536001\n"
    r = c.post("/write", params={"db": "db", "rp": "rp", "precision": "s"}, content=body)
    assert r.status_code == 204, r.text

    def rows():
        q = {"q": "SELECT value, host, via FROM cpu_copy", "db": "e2e_out", "epoch": "s"}
        doc = httpx.get(influxd_url + "/query", params=q).json()
        series = doc["results"][0].get("series")
        return series and series[0]["values"]

    assert wait_for(rows) == [[31536000, 1, "a", "kapacitrio"], [31536001, 2, "b", "kapacitrio"]]

    def out_stats():
        stats = c.get(TASKS + "/out").json()["stats"]["node-stats"]
        node = next(v for k, v in stats.items() if k.startswith("influxdb_out"))
        # the node counts a write once influxd answered it, a moment after the rows show
        return node if node["points_written"] or node["write_errors"] else None

    node = wait_for(out_stats)
    assert node["points_written"] == 2 and node["write_errors"] == 0


def test_loopback_feeds_another_task(server):
    c = server.client
    enable(
        c,
        "reader",
        "stream|from().measurement('doubled')|httpOut('seen')",
        [{"db": "loop", "rp": "autogen"}],
    )
    enable(
        c,
        "writer",
        "stream|from().measurement('cpu')|eval(lambda: \"value\" * 2.0).as('value')"
        "|kapacitorLoopback().database('loop').retentionPolicy('autogen').measurement('doubled')",
        [{"db": "db", "rp": "rp"}],
    )
    r = c.post(
        "/write", params={"db": "db", "rp": "rp", "precision": "s"}, content="cpu value=21 31536000"
    )
    assert r.status_code == 204

    def seen():
        out = c.get(TASKS + "/reader/seen").json()
        return out.get("series")

    assert wait_for(seen) == [
        {
            "name": "doubled",
            "columns": ["time", "value"],
            "values": [["1971-01-01T00:00:00Z", 42.0]],
        }
    ]
