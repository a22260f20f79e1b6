"""A Kapacitor alert reaches a kkok route: task alert -> topic -> `kkok` handler -> pool -> route."""

from __future__ import annotations

import json
import sys

from kapacitrio.testing.polling import wait_for

SCRIPT = """
stream
    |from()
        .measurement('cpu')
        .groupBy('host')
    |alert()
        .id('cpu:{{ index .Tags "host" }}')
        .message('cpu is high on {{ index .Tags "host" }}')
        .crit(lambda: "value" > 90)
        .topic('cpu')
"""


def test_kapacitor_alert_reaches_kkok_route(server_factory, tmp_path):
    out = tmp_path / "delivered.jsonl"
    code = f"import sys; open({str(out)!r}, 'a').write(sys.stdin.read())"
    srv = server_factory(config="[kkok]\ninitial_interval = 1\nmax_interval = 1\n")
    c = srv.client
    r = c.put("/routes/pager", json=[{"type": "exec", "command": [sys.executable, "-c", code]}])
    assert r.status_code == 200, r.text
    r = c.post(
        "/kapacitor/v1/alerts/topics/cpu/handlers",
        json={"id": "to-kkok", "kind": "kkok", "options": {"routes": ["pager"]}},
    )
    assert r.status_code == 200, r.text
    r = c.post(
        "/kapacitor/v1/tasks",
        json={
            "id": "cpu_alert",
            "type": "stream",
            "dbrps": [{"db": "mydb", "rp": "autogen"}],
            "script": SCRIPT,
            "status": "enabled",
        },
    )
    assert r.status_code == 200, r.text
    r = c.post(
        "/write",
        params={"db": "mydb", "rp": "autogen", "precision": "s"},
        content=b"cpu,host=web1 value=97 1700000000\ncpu,host=web2 value=10 1700000000\n",
    )
    assert r.status_code == 204, r.text
    wait_for(lambda: out.exists() and out.read_text().strip())
    docs = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(docs) == 1, docs
    (doc,) = docs
    assert doc["From"] == "kapacitor/cpu_alert"
    assert doc["Title"] == "cpu is high on web1" and doc["Host"] == "web1"
    assert doc["Date"] == "2023-11-14T22:13:20Z" and doc["Routes"] == ["pager"]
    assert doc["Info"]["level"] == "CRITICAL" and doc["Info"]["id"] == "cpu:web1"
    assert doc["Info"]["fields"] == {"value": 97.0}
    # the recovery event follows the same way, with level OK
    r = c.post(
        "/write",
        params={"db": "mydb", "rp": "autogen", "precision": "s"},
        content=b"cpu,host=web1 value=5 1700000060\n",
    )
    assert r.status_code == 204, r.text
    wait_for(lambda: len(out.read_text().splitlines()) >= 2)
    recovery = json.loads(out.read_text().splitlines()[1])
    assert recovery["Info"]["level"] == "OK" and recovery["Host"] == "web1"
    assert recovery["Date"] == "2023-11-14T22:14:20Z"
