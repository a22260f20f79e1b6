"""End-to-end: `[[scraper]]` with static and file discovery scrapes a real exporter into tasks."""

from __future__ import annotations

import json
import socket
import time

import pytest

from tests.scraper.exporter import exporter_process


@pytest.fixture
def exporter():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = exporter_process(port)
    yield f"127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)


def _task(task_id: str, db: str, measurement: str) -> dict:
    return {
        "id": task_id,
        "type": "stream",
        "dbrps": [{"db": db, "rp": "autogen"}],
        "status": "enabled",
        "script": f"stream|from().measurement('{measurement}')|httpOut('last')",
    }


def _wait(fn, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def _last(server, task_id: str):
    body = server.client.get(f"/kapacitor/v1/tasks/{task_id}/last").json()
    series = body.get("series") or []
    return series[0] if series else None


def test_static_and_file_discovery_scrape_a_real_exporter(server_factory, exporter, tmp_path):
    sd_file = tmp_path / "targets.json"
    sd_file.write_text("[]")
    config = f"""
[[scraper]]
  enabled = true
  name = "static-node"
  db = "prom"
  rp = "autogen"
  discoverer-id = "mystatic"
  discoverer-service = "static-discovery"
  scrape-interval = "1s"
  scrape-timeout = "2s"

[[static-discovery]]
  enabled = true
  id = "mystatic"
  targets = ["{exporter}"]
  [static-discovery.labels]
    region = "lab"

[[scraper]]
  enabled = true
  name = "file-node"
  db = "promfile"
  rp = "autogen"
  discoverer-id = "myfile"
  discoverer-service = "file-discovery"
  scrape-interval = "1s"

[[file-discovery]]
  enabled = true
  id = "myfile"
  files = ["{tmp_path}/*.json"]
  refresh-interval = "5m"
"""
    server = server_factory(config=config)
    for task in (
        _task("temp", "prom", "app_temperature_celsius"),
        _task("buckets", "prom", "app_latency_seconds_bucket"),
        _task("filetemp", "promfile", "app_temperature_celsius"),
    ):
        assert server.client.post("/kapacitor/v1/tasks", json=task).status_code == 200

    temp = _wait(lambda: _last(server, "temp"))
    assert temp["name"] == "app_temperature_celsius"
    assert temp["tags"] == {
        "__name__": "app_temperature_celsius",
        "instance": exporter,
        "region": "lab",
    }
    assert temp["columns"] == ["time", "value"]
    assert temp["values"][0][1] == 21.5
    bucket = _wait(lambda: _last(server, "buckets"))
    assert bucket["tags"]["le"] in ("0.1", "1.0", "+Inf")

    # Nothing from the file discoverer until its file names the exporter.
    assert _last(server, "filetemp") is None
    sd_file.write_text(json.dumps([{"targets": [exporter], "labels": {"team": "ops"}}]))
    filetemp = _wait(lambda: _last(server, "filetemp"))
    assert filetemp["tags"]["team"] == "ops"
    assert filetemp["values"][0][1] == 21.5

    body = server.client.get("/kapacitor/v1/debug/vars").json()
    stats = {
        s["tags"]["scraper"]: s["values"]
        for s in body["kapacitor"].values()
        if s.get("name") == "scraper"
    }
    assert stats["static-node"]["targets"] == 1
    assert stats["static-node"]["scrapes"] >= 1
    assert stats["static-node"]["scrape_errors"] == 0
    assert stats["file-node"]["targets"] == 1
