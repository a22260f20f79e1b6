"""End-to-end: a batch `queryFlux` asks InfluxDB 2's `/api/v2/query` and emits its tables as batches."""

from __future__ import annotations

import json
import socket
import time

import pytest

from kapacitrio.models.timefmt import parse_rfc3339
from tests.flux.fake_influx2 import fake_influx2_process


@pytest.fixture
def influx2(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = tmp_path / "queries.jsonl"
    proc = fake_influx2_process(port, log)
    yield f"http://127.0.0.1:{port}", log
    proc.terminate()
    proc.wait(10)


def _wait(fn, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_query_flux_tables_become_batches(server_factory, influx2):
    url, log = influx2
    config = f"""
[[influxdb]]
  enabled = true
  default = true
  name = "v2"
  urls = ["{url}"]
  token = "my-token"
  disable-subscriptions = true
"""
    server = server_factory(config=config)
    script = """batch
    |queryFlux('''from(bucket: "telegraf") |> range(start: -1m)''')
        .every(1s)
        .offset(10s)
        .org('myorg')
    |httpOut('flux')
"""
    task = {"id": "flux", "type": "batch", "dbrps": [{"db": "telegraf", "rp": "autogen"}]}
    task.update(status="enabled", script=script)
    assert server.client.post("/kapacitor/v1/tasks", json=task).status_code == 200
    bad = {**task, "id": "flux_bad", "script": script.replace('"telegraf"', '"nope"')}
    assert server.client.post("/kapacitor/v1/tasks", json=bad).status_code == 200

    def result():
        body = server.client.get("/kapacitor/v1/tasks/flux/flux").json()
        return body.get("series")

    series = _wait(result)
    assert series, server.run_logs()
    by_key = {(s["name"], s["tags"]["host"]): s for s in series}
    assert set(by_key) == {("cpu", "a"), ("cpu", "b"), ("mem", "a")}
    cpu_a = by_key[("cpu", "a")]
    assert cpu_a["tags"] == {"_field": "usage", "host": "a"}
    assert cpu_a["columns"] == ["time", "_value"]
    assert cpu_a["values"] == [
        ["2021-04-22T16:10:10Z", 45.5],
        ["2021-04-22T16:10:20.5Z", 47],
    ]
    # a long stays an integer, an empty cell with a #default takes it, one without is left out
    assert by_key[("mem", "a")]["values"] == [
        ["2021-04-22T16:10:30Z", 5, False],
        ["2021-04-22T16:10:40Z", None, True],
    ]

    queries = [json.loads(line) for line in log.read_text().splitlines()]
    good = [q for q in queries if '"telegraf"' in q["body"]["query"]]
    assert good[0]["path"] == "/api/v2/query?org=myorg"
    assert good[0]["auth"] == "Token my-token"
    assert good[0]["body"]["dialect"]["annotations"] == ["datatype", "group", "default"]
    # now() is the scheduled time minus the offset, on a whole second with every(1s)
    now_ns = parse_rfc3339(good[0]["body"]["now"])
    assert abs(now_ns / 1e9 - (time.time() - 10)) < 30

    def errors():
        body = server.client.get("/kapacitor/v1/debug/vars").json()
        return [
            s["values"]["query_errors"]
            for s in body["kapacitor"].values()
            if s.get("name") == "nodes"
            and s["tags"]["task"] == "flux_bad"
            and s["values"].get("query_errors")
        ]

    assert _wait(errors)
    logs = server.run_logs()
    assert "error executing query" in logs
    assert "flux query error: runtime error @1:1-1:32: from: bucket" in logs
