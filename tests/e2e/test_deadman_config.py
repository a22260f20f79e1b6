"""`[deadman] global = true` reaches tasks created through the API."""

from __future__ import annotations


def test_global_deadman_via_api(server_factory):
    srv = server_factory(config='[deadman]\nglobal = true\ninterval = "1m"\nthreshold = 1.0\n')
    c = srv.client
    r = c.post(
        "/kapacitor/v1/tasks",
        json={
            "id": "t",
            "type": "stream",
            "dbrps": [{"db": "db", "rp": "rp"}],
            "script": "stream|from().measurement('cpu')|httpOut('x')",
            "status": "enabled",
        },
    )
    assert r.status_code == 200, r.text
    dot = r.json()["dot"]
    assert "stats3 -> derivative4" in dot and "derivative4 -> alert5" in dot
    r = c.post(
        "/kapacitor/v1/tasks",
        json={
            "id": "u",
            "type": "stream",
            "dbrps": [{"db": "db", "rp": "rp"}],
            "script": "stream|from()@nope()",
        },
    )
    assert r.status_code == 400
    assert r.json()["error"].endswith('no method or property "nope" on *pipeline.FromNode')
