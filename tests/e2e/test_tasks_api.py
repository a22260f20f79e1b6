"""End-to-end: the tasks API (define, show, change, list, delete, httpOut) over HTTP."""

from __future__ import annotations

import re
import uuid

SCRIPT = (
    "stream\n    |from()\n        .measurement('cpu')\n"
    "    |window()\n        .period(10s)\n        .every(10s)\n"
    "    |count('value')\n    |httpOut('count')\n"
)
RAW = "stream|from().measurement('cpu')|window().period(10s).every(10s)|count('value')|httpOut('count')"
DBRPS = [{"db": "db", "rp": "rp"}]
TASKS = "/kapacitor/v1/tasks"


def create(c, **body):
    payload = {"type": "stream", "dbrps": DBRPS, "script": RAW}
    payload.update(body)
    return c.post(TASKS, json=payload)


def write(c, body: str, db: str = "db", rp: str = "rp"):
    r = c.post("/write", params={"db": db, "rp": rp, "precision": "s"}, content=body)
    assert r.status_code == 204, r.text
    return r


def test_create_shape_and_defaults(server):
    c = server.client
    r = create(c, id="t1")
    assert r.status_code == 200, r.text
    t = r.json()
    assert list(t) == [
        "link", "id", "template-id", "type", "dbrps", "script", "vars", "dot", "status",
        "executing", "error", "stats", "created", "modified", "last-enabled",
    ]  # fmt: skip
    assert t["link"] == {"rel": "self", "href": "/kapacitor/v1/tasks/t1"}
    assert t["status"] == "disabled" and t["executing"] is False
    assert t["script"] == SCRIPT  # formatted
    assert t["dot"].startswith("digraph t1 {")
    assert t["stats"] == {} and t["error"] == ""
    assert t["last-enabled"] == "0001-01-01T00:00:00Z"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", t["created"])
    # no id: a random UUID
    r = create(c)
    assert r.status_code == 200
    uuid.UUID(r.json()["id"])
    # ids may use letters of any script
    assert create(c, id="tâche-1.x_y").status_code == 200


def test_create_errors_store_nothing(server):
    c = server.client
    r = create(c, id="bad id")
    assert r.status_code == 400
    assert (
        r.json()["error"]
        == "task ID must contain only letters, numbers, '-', '.' and '_'. \"bad id\""
    )
    assert create(c, id="dup").status_code == 200
    r = create(c, id="dup")
    assert (r.status_code, r.json()["error"]) == (400, "task dup already exists")
    r = create(c, id="noscript", script="")
    assert (r.status_code, r.json()["error"]) == (400, "must provide TICKscript")
    r = create(c, id="badtype", type="sideways")
    assert (r.status_code, r.json()["error"]) == (400, 'unknown type "sideways"')
    r = create(c, id="nodbrp", dbrps=[])
    assert (r.status_code, r.json()["error"]) == (400, "must specify at least one dbrp")
    r = create(c, id="badscript", script="stream|from().measurement(", status="enabled")
    assert r.status_code == 400
    assert r.json()["error"].startswith("invalid TICKscript: ")
    r = create(c, id="badvars", vars={"x": {"type": "int", "value": "nope"}})
    assert r.status_code == 400
    r = create(c, id="badtemplate", **{"template-id": "nope"})
    assert r.status_code == 400
    assert r.json()["error"].startswith("unknown template nope")
    r = create(c, id="badstatus", status="running")
    assert r.status_code == 400
    for tid in ("badscript", "badvars", "badtemplate", "badstatus", "noscript", "nodbrp"):
        r = c.get(f"{TASKS}/{tid}")
        assert (r.status_code, r.json()) == (404, {"error": "no task exists"})
    ids = [t["id"] for t in c.get(TASKS).json()["tasks"]]
    assert ids == ["dup"]


def test_dbrp_statements_in_the_script(server):
    c = server.client
    script = 'dbrp "db"."rp"\n' + RAW
    r = create(c, id="scripted", dbrps=[], script=script)
    assert r.status_code == 200, r.text
    assert r.json()["dbrps"] == [{"db": "db", "rp": "rp"}]
    r = create(c, id="mismatch", dbrps=[{"db": "other", "rp": "rp"}], script=script)
    assert r.status_code == 400
    assert r.json()["error"].startswith("dbrps must match.")


def test_get_formats_and_dot_views(server):
    c = server.client
    assert create(c, id="t", status="enabled").status_code == 200
    raw = c.get(f"{TASKS}/t", params={"script-format": "raw"}).json()
    assert raw["script"] == RAW
    fmt = c.get(f"{TASKS}/t").json()
    assert fmt["script"] == SCRIPT
    assert fmt["executing"] is True
    assert "node-stats" in fmt["stats"]
    labels = c.get(f"{TASKS}/t", params={"dot-view": "labels"}).json()["dot"]
    attrs = fmt["dot"]
    assert labels != attrs and "label=" in labels
    r = c.get(f"{TASKS}/t", params={"script-format": "pretty"})
    assert (r.status_code, r.json()["error"]) == (400, 'invalid script-format parameter "pretty"')
    r = c.get(f"{TASKS}/t", params={"dot-view": "boxes"})
    assert (r.status_code, r.json()["error"]) == (400, 'invalid dot-view parameter "boxes"')
    r = c.get(f"{TASKS}/t", params={"replay-id": "nope"})
    assert r.status_code == 404


def test_enable_disable_runs_and_stops_the_task(server):
    c = server.client
    assert create(c, id="t").status_code == 200
    write(c, "cpu value=1 0\ncpu value=1 11\n")
    assert c.get(f"{TASKS}/t/count").status_code == 404  # not running: no endpoint
    r = c.patch(f"{TASKS}/t", json={"status": "enabled"})
    assert r.status_code == 200
    t = r.json()
    assert t["status"] == "enabled" and t["executing"] is True
    assert t["last-enabled"] != "0001-01-01T00:00:00Z"
    assert t["modified"] >= t["created"]
    write(c, "cpu value=1 20\ncpu value=1 25\ncpu value=1 31\n")
    assert c.get(f"{TASKS}/t/count").json()["series"][0]["values"][0][1] == 2
    assert c.get(f"{TASKS}/t/nope").status_code == 404
    r = c.patch(f"{TASKS}/t", json={"status": "disabled"})
    assert r.status_code == 200 and r.json()["executing"] is False
    assert c.get(f"{TASKS}/t/count").status_code == 404
    assert c.get(f"{TASKS}/t").json()["stats"] == {}


def test_patch_subsets_and_failures(server):
    c = server.client
    vars1 = {"x": {"type": "int", "value": 1}, "y": {"type": "string", "value": "a"}}
    assert create(c, id="t", status="enabled", vars=vars1).status_code == 200
    r = c.patch(f"{TASKS}/nope", json={"status": "enabled"})
    assert (r.status_code, r.json()["error"]) == (404, "task does not exist, cannot update")
    r = c.patch(f"{TASKS}/t", json={"dbrps": [{"db": "db2", "rp": "rp2"}]})
    assert r.json()["dbrps"] == [{"db": "db2", "rp": "rp2"}]
    r = c.patch(f"{TASKS}/t", json={"vars": {"z": {"type": "duration", "value": "1s"}}})
    assert r.status_code == 200
    assert r.json()["vars"] == {
        "z": {"type": "duration", "value": 1_000_000_000, "description": ""}
    }
    before = c.get(f"{TASKS}/t", params={"script-format": "raw"}).json()
    # A bad script changes nothing: same script, still executing, same data flow.
    r = c.patch(f"{TASKS}/t", json={"script": "stream|nosuchnode()"})
    assert r.status_code == 400
    assert r.json()["error"].startswith("invalid TICKscript: ")
    after = c.get(f"{TASKS}/t", params={"script-format": "raw"}).json()
    assert after["script"] == before["script"] and after["executing"] is True
    assert after["modified"] == before["modified"]
    r = c.patch(f"{TASKS}/t", json={"vars": {"x": {"type": "duration", "value": "bogus"}}})
    assert r.status_code == 400
    assert c.get(f"{TASKS}/t").json()["vars"] == before["vars"]
    r = c.patch(f"{TASKS}/t", content=b"nope")
    assert (r.status_code, r.json()) == (400, {"error": "invalid JSON"})
    # a new script on a running task restarts it with the new definition
    new = RAW.replace("count('value')", "sum('value')")
    r = c.patch(f"{TASKS}/t", json={"script": new, "dbrps": DBRPS})
    assert r.status_code == 200 and r.json()["executing"] is True
    write(c, "cpu value=2 0\ncpu value=3 5\ncpu value=1 11\n")
    row = c.get(f"{TASKS}/t/count").json()["series"][0]
    assert row["columns"] == ["time", "sum"] and row["values"][0][1] == 5


def test_rename_by_patch(server):
    c = server.client
    assert create(c, id="old", status="enabled").status_code == 200
    r = c.patch(f"{TASKS}/old", json={"id": "new"})
    assert r.status_code == 200 and r.json()["id"] == "new"
    assert c.get(f"{TASKS}/old").status_code == 404
    assert c.get(f"{TASKS}/new").json()["executing"] is True


def test_delete(server):
    c = server.client
    assert create(c, id="t", status="enabled").status_code == 200
    assert c.delete(f"{TASKS}/t").status_code == 204
    assert c.get(f"{TASKS}/t").status_code == 404
    assert c.delete(f"{TASKS}/t").status_code == 204
    assert c.get(f"{TASKS}/t/count").status_code == 404


def test_list_pattern_fields_paging(server):
    c = server.client
    for tid in ("a1", "a2", "b1", "a3"):
        assert create(c, id=tid).status_code == 200
    ids = lambda r: [t["id"] for t in r.json()["tasks"]]  # noqa: E731
    assert ids(c.get(TASKS)) == ["a1", "a2", "a3", "b1"]
    assert ids(c.get(TASKS, params={"pattern": "a*"})) == ["a1", "a2", "a3"]
    assert ids(c.get(TASKS, params={"pattern": "?1"})) == ["a1", "b1"]
    assert ids(c.get(TASKS, params={"pattern": "zz*"})) == []
    assert ids(c.get(TASKS, params={"offset": 1, "limit": 2})) == ["a2", "a3"]
    r = c.get(TASKS, params=[("fields", "status"), ("fields", "executing")])
    first = r.json()["tasks"][0]
    assert set(first) == {"id", "link", "status", "executing"}
    full = c.get(TASKS).json()["tasks"][0]
    assert "vars" not in full and "dot" in full and "script" in full
    r = c.get(TASKS, params={"fields": "colour"})
    assert (r.status_code, r.json()["error"]) == (400, 'unsupported field "colour"')
    r = c.get(TASKS, params={"limit": "ten"})
    assert r.status_code == 400
    assert r.json()["error"].startswith('invalid limit parameter "ten" must be an integer')
    r = c.get(TASKS, params={"script-format": "raw", "fields": "script", "pattern": "a1"})
    assert r.json()["tasks"][0]["script"] == RAW


def test_preview_paths_serve_tasks_too(server):
    c = server.client
    r = c.post(
        "/kapacitor/v1preview/tasks",
        json={"id": "p", "type": "stream", "dbrps": DBRPS, "script": RAW},
    )
    assert r.status_code == 200
    assert c.get("/kapacitor/v1/tasks/p").status_code == 200
