"""End-to-end: a task's runtime failure is its `error` (API and `show`); every diagnosed error counts."""

from __future__ import annotations

import time

import pytest

from kapacitrio.cli import main as cli_main

TASKS = "/kapacitor/v1/tasks"
CONFIG = """[[influxdb]]
enabled = true
name = "main"
urls = ["http://127.0.0.1:9"]
disable-subscriptions = true
"""


def _wait(fn, what, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_lost_influxdb_client_is_the_task_error(server_factory, capsys: pytest.CaptureFixture):
    srv = server_factory(config=CONFIG)
    c = srv.client
    script = 'batch|query(\'SELECT mean(value) FROM "db"."rp"."cpu"\').period(1m).every(100ms)'
    body = {"id": "b", "type": "batch", "dbrps": [{"db": "db", "rp": "rp"}],
            "script": script + "|httpOut('out')", "status": "enabled"}  # fmt: skip
    assert c.post(TASKS, json=body).status_code == 200

    def query_stats():
        return c.get(f"{TASKS}/b").json()["stats"]["node-stats"]["query1"]

    # queries that fail (nothing listens on port 9) are logged and counted, in `errors` too;
    # the task runs on, as Kapacitor's does
    stats = _wait(lambda: (s := query_stats())["query_errors"] >= 2 and s, "query errors")
    assert stats["errors"] >= stats["query_errors"] - 1
    task = c.get(f"{TASKS}/b").json()
    assert (task["executing"], task["error"]) == (True, "")

    # the cluster is disabled: the query node has no client, the task stops with that error
    r = c.post("/kapacitor/v1/config/influxdb/main", json={"set": {"enabled": False}})
    assert r.status_code == 204, r.text
    want = "query1: failed to get InfluxDB client: no such InfluxDB config default"
    task = _wait(lambda: (t := c.get(f"{TASKS}/b").json())["error"] and t, "the task error")
    assert (task["executing"], task["error"], task["status"]) == (False, want, "enabled")
    assert "failed to get InfluxDB client" in srv.logs()

    capsys.readouterr()
    assert cli_main(["-url", srv.url, "show", "b"]) == 0
    lines = capsys.readouterr().out.splitlines()
    error_line = next(line for line in lines if line.startswith("Error"))
    assert error_line.split(":", 1)[1].strip() == want
    # it is kept: still there after a restart, until the task is started again
    srv.restart()
    assert srv.client.get(f"{TASKS}/b").json()["error"] == want


def test_every_diagnosed_node_error_counts(server):
    c = server.client
    script = "stream|from().measurement('m')|derivative('v')|httpOut('out')"
    body = {"id": "d", "type": "stream", "dbrps": [{"db": "db", "rp": "rp"}],
            "script": script, "status": "enabled"}  # fmt: skip
    assert c.post(TASKS, json=body).status_code == 200
    lines = "m v=1 1\nm v=2 1\nm v=3 1\n"  # no time between them: a derivative cannot be made
    r = c.post("/write", params={"db": "db", "rp": "rp", "precision": "s"}, content=lines)
    assert r.status_code == 204

    def errors():
        return c.get(f"{TASKS}/d").json()["stats"]["node-stats"]["derivative2"]["errors"]

    assert _wait(lambda: errors() == 2, "two derivative errors")
    assert c.get(f"{TASKS}/d").json()["error"] == ""
