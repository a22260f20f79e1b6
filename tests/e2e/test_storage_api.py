"""End-to-end: storage backup (restorable into another server) and store actions."""

from __future__ import annotations

DBRPS = [{"db": "db", "rp": "rp"}]
RAW = "stream|from().measurement('cpu')|httpOut('x')"


def test_backup_restores_into_a_new_server(server, server_factory):
    c = server.client
    body = {"id": "kept", "type": "stream", "dbrps": DBRPS, "script": RAW, "status": "enabled"}
    assert c.post("/kapacitor/v1/tasks", json=body).status_code == 200
    r = c.get("/kapacitor/v1/storage/backup")
    assert r.status_code == 200
    assert r.content.startswith(b"SQLite format 3\x00")
    other = server_factory(start=False)
    other.data_dir.mkdir(parents=True)
    (other.data_dir / "kapacitrio.db").write_bytes(r.content)
    other.start()
    task = other.client.get("/kapacitor/v1/tasks/kept").json()
    assert task["status"] == "enabled" and task["executing"] is True


def test_store_actions(server):
    c = server.client
    r = c.post("/kapacitor/v1/storage/stores/tasks", json={"action": "rebuild"})
    assert r.status_code == 204
    r = c.post("/kapacitor/v1/storage/stores/tasks", json={"action": "explode"})
    assert (r.status_code, r.json()) == (400, {"error": 'unknown action "explode"'})
    r = c.post("/kapacitor/v1/storage/stores/nosuch", json={"action": "rebuild"})
    assert r.status_code == 404
    assert "tasks" in c.get("/kapacitor/v1/storage/stores").json()["stores"]
