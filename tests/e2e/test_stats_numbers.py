"""End-to-end: `/debug/vars` statistics in Kapacitor's shape, and JSON numbers as Go writes them."""

from __future__ import annotations

import time

SCRIPT = (
    "stream|from().measurement('m')"
    '|eval(lambda: "v" * 1.0, lambda: "v" * 0.000000001, lambda: "v" * 0.00001)'
    ".as('a', 'b', 'c')"
    "|alert().id('x').topic('nums').crit(lambda: \"a\" > 0)"
    "|httpOut('out')"
)


def _wait(fn, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def test_debug_vars_entries_and_go_numbers(server):
    c = server.client
    task = {"id": "nums", "type": "stream", "dbrps": [{"db": "db", "rp": "rp"}],
            "status": "enabled", "script": SCRIPT}  # fmt: skip
    assert c.post("/kapacitor/v1/tasks", json=task).status_code == 200
    body = "m v=979 1\nother x=1 1\nother x=2 2\n"
    r = c.post("/write", params={"db": "db", "rp": "rp", "precision": "s"}, content=body)
    assert r.status_code == 204

    # httpOut: an integral float is `979`, small ones in Go's forms
    out = _wait(lambda: (r := c.get("/kapacitor/v1/tasks/nums/out")).status_code == 200
                and "series" in r.json() and r.text)  # fmt: skip
    assert '"values":[["1970-01-01T00:00:01Z",979,9.79e-7,0.00979]]' in out.replace(" ", "")
    assert "979.0" not in out

    dv = c.get("/kapacitor/v1/debug/vars").json()
    base = {"cluster_id": dv["cluster_id"], "server_id": dv["server_id"], "host": dv["host"]}
    stats = list(dv["kapacitor"].values())
    ingress = {s["tags"]["measurement"]: s for s in stats if s["name"] == "ingress"}
    assert set(ingress) == {"m", "other"}  # `other` is wanted by no task, and still counted
    assert ingress["other"] == {
        "name": "ingress",
        "tags": {
            "task_master": "main",
            "database": "db",
            "retention_policy": "rp",
            "measurement": "other",
            **base,
        },  # fmt: skip
        "values": {"points_received": 2},
    }
    assert ingress["m"]["values"] == {"points_received": 1}

    nodes = {s["tags"]["node"]: s for s in stats if s["name"] == "nodes"}
    assert set(nodes) == {"stream0", "from1", "eval2", "alert3", "http_out4"}
    alert = nodes["alert3"]
    assert alert["tags"] == {"task": "nums", "node": "alert3", "type": "stream",
                             "kind": "alert", **base}  # fmt: skip
    assert alert["values"]["crits_triggered"] == 1 and alert["values"]["errors"] == 0
    # a Go duration string, as Kapacitor's (Telegraf parses it with time.ParseDuration)
    assert isinstance(alert["values"]["avg_exec_time_ns"], str)
    assert alert["values"]["avg_exec_time_ns"][-1] == "s"

    edges = {(s["tags"]["parent"], s["tags"]["child"]): s for s in stats if s["name"] == "edges"}
    master = edges.pop(("write_points", "stream"))
    assert master["tags"]["task"] == "task_master:main"
    assert master["values"] == {"collected": 3, "emitted": 3}
    assert set(edges) == {("stream0", "from1"), ("from1", "eval2"), ("eval2", "alert3"),
                          ("alert3", "http_out4")}  # fmt: skip
    assert edges[("from1", "eval2")]["values"] == {"collected": 1, "emitted": 1}
    assert edges[("from1", "eval2")]["tags"]["type"] == "stream"

    topics = [s for s in stats if s["name"] == "topics"]
    assert [(s["tags"]["id"], s["values"]) for s in topics] == [("nums", {"collected": 1})]
