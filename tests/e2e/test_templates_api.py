"""End-to-end: templates, tasks made from them, template updates with rollback, orphans."""

from __future__ import annotations

TEMPLATES = "/kapacitor/v1/templates"
TASKS = "/kapacitor/v1/tasks"
DBRPS = [{"db": "db", "rp": "rp"}]
TEMPLATE = """var measurement string
var period = 10s
var field = 'value'
stream
    |from()
        .measurement(measurement)
    |window()
        .period(period)
        .every(period)
    |count(field)
    |httpOut('out')
"""


def write(c, body: str):
    r = c.post("/write", params={"db": "db", "rp": "rp", "precision": "s"}, content=body)
    assert r.status_code == 204, r.text


def make_template(c, tid="tmpl", script=TEMPLATE):
    r = c.post(TEMPLATES, json={"id": tid, "type": "stream", "script": script})
    assert r.status_code == 200, r.text
    return r.json()


def make_task(c, tid, measurement, template="tmpl", status="enabled"):
    r = c.post(
        TASKS,
        json={
            "id": tid,
            "template-id": template,
            "dbrps": DBRPS,
            "status": status,
            "vars": {"measurement": {"type": "string", "value": measurement}},
        },
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_template_crud(server):
    c = server.client
    t = make_template(c)
    assert list(t) == [
        "link",
        "id",
        "type",
        "script",
        "vars",
        "dot",
        "error",
        "created",
        "modified",
    ]
    assert t["link"] == {"rel": "self", "href": "/kapacitor/v1/templates/tmpl"}
    assert set(t["vars"]) == {"measurement", "period", "field"}
    assert t["vars"]["period"]["type"] == "duration"
    assert t["vars"]["measurement"]["type"] == "string"
    assert t["dot"].startswith("digraph tmpl")
    assert c.get(f"{TEMPLATES}/tmpl").json()["script"] == t["script"]
    raw = c.get(f"{TEMPLATES}/tmpl", params={"script-format": "raw"}).json()["script"]
    assert raw == TEMPLATE
    r = c.post(TEMPLATES, json={"id": "tmpl", "type": "stream", "script": TEMPLATE})
    assert (r.status_code, r.json()["error"]) == (400, "template tmpl already exists")
    r = c.post(TEMPLATES, json={"id": "x y", "type": "stream", "script": TEMPLATE})
    assert r.status_code == 400 and r.json()["error"].startswith("template ID must contain")
    r = c.post(TEMPLATES, json={"id": "bad", "type": "stream", "script": "stream|from(.x"})
    assert r.status_code == 400 and r.json()["error"].startswith("invalid TICKscript: ")
    r = c.post(TEMPLATES, json={"id": "empty", "type": "stream"})
    assert (r.status_code, r.json()["error"]) == (400, "must provide TICKscript")
    assert c.get(f"{TEMPLATES}/bad").status_code == 404
    assert c.get(f"{TEMPLATES}/nope").json() == {"error": "no template exists"}
    r = c.patch(f"{TEMPLATES}/nope", json={"script": TEMPLATE})
    assert (r.status_code, r.json()["error"]) == (404, "template does not exist, cannot update")
    make_template(c, "other")
    listed = c.get(TEMPLATES).json()["templates"]
    assert [x["id"] for x in listed] == ["other", "tmpl"]
    assert "vars" not in listed[0]
    only = c.get(TEMPLATES, params={"pattern": "o*", "fields": "vars"}).json()["templates"]
    assert [set(x) for x in only] == [{"id", "link", "vars"}]
    paged = c.get(TEMPLATES, params={"offset": 1, "limit": 5}).json()["templates"]
    assert [x["id"] for x in paged] == ["tmpl"]
    assert c.get(TEMPLATES, params={"limit": 0}).json() == {"templates": []}
    r = c.get(TEMPLATES, params={"offset": "x"})
    assert r.status_code == 400 and r.json()["error"].startswith('invalid offset parameter "x"')
    r = c.get(TEMPLATES, params={"fields": "status"})
    assert (r.status_code, r.json()["error"]) == (400, 'unsupported field "status"')
    r = c.get(f"{TEMPLATES}/tmpl", params={"script-format": "nope"})
    assert r.status_code == 400
    assert c.delete(f"{TEMPLATES}/other").status_code == 204
    assert c.delete(f"{TEMPLATES}/other").status_code == 204
    assert [x["id"] for x in c.get(TEMPLATES).json()["templates"]] == ["tmpl"]


def test_task_from_template_runs_with_its_vars(server):
    c = server.client
    make_template(c)
    t = make_task(c, "cpu_count", "cpu")
    assert t["template-id"] == "tmpl" and t["type"] == "stream"
    assert t["executing"] is True
    r = c.post(TASKS, json={"id": "novars", "template-id": "tmpl", "dbrps": DBRPS})
    assert r.status_code == 400  # `measurement` has no value
    bad = {"measurement": {"type": "int", "value": 3}}
    r = c.post(TASKS, json={"id": "badvar", "template-id": "tmpl", "dbrps": DBRPS, "vars": bad})
    assert r.status_code == 400
    assert c.get(f"{TASKS}/novars").status_code == 404
    assert c.get(f"{TASKS}/badvar").status_code == 404
    write(c, "cpu value=1 0\nmem value=1 1\ncpu value=1 2\ncpu value=1 12\n")
    assert c.get(f"{TASKS}/cpu_count/out").json()["series"][0]["values"][0][1] == 2


def test_template_update_reloads_tasks(server):
    c = server.client
    make_template(c)
    make_task(c, "a", "cpu")
    make_task(c, "b", "mem", status="disabled")
    new = TEMPLATE.replace("|count(field)", "|sum(field)")
    r = c.patch(f"{TEMPLATES}/tmpl", json={"script": new})
    assert r.status_code == 200, r.text
    assert "sum(field)" in r.json()["script"]
    for tid in ("a", "b"):
        assert "sum(field)" in c.get(f"{TASKS}/{tid}").json()["script"]
    assert c.get(f"{TASKS}/a").json()["executing"] is True
    write(c, "cpu value=2 0\ncpu value=3 5\ncpu value=1 11\n")
    row = c.get(f"{TASKS}/a/out").json()["series"][0]
    assert row["columns"] == ["time", "sum"] and row["values"][0][1] == 5


def test_breaking_template_update_reverts_everything(server):
    c = server.client
    make_template(c)
    make_task(c, "a", "cpu")
    make_task(c, "b", "mem")
    before = c.get(f"{TEMPLATES}/tmpl", params={"script-format": "raw"}).json()
    # A new required var that the tasks do not set: every task fails to reload.
    breaking = "var extra string\n" + TEMPLATE.replace("|httpOut('out')", "|httpOut(extra)")
    r = c.patch(f"{TEMPLATES}/tmpl", json={"script": breaking})
    assert r.status_code == 400
    assert r.json()["error"].startswith("error reloading associated task a: ")
    after = c.get(f"{TEMPLATES}/tmpl", params={"script-format": "raw"}).json()
    assert after["script"] == before["script"] and after["modified"] == before["modified"]
    for tid in ("a", "b"):
        task = c.get(f"{TASKS}/{tid}", params={"script-format": "raw"}).json()
        assert task["script"] == TEMPLATE and task["executing"] is True
    write(c, "cpu value=1 0\ncpu value=1 11\n")
    assert c.get(f"{TASKS}/a/out").json()["series"][0]["values"][0][1] == 1


def test_deleting_a_template_orphans_its_tasks(server):
    c = server.client
    make_template(c)
    make_task(c, "running", "cpu")
    make_task(c, "stopped", "cpu", status="disabled")
    assert c.delete(f"{TEMPLATES}/tmpl").status_code == 204
    # orphans keep their state and definition
    run = c.get(f"{TASKS}/running").json()
    assert run["executing"] is True and run["template-id"] == "tmpl"
    assert "measurement(measurement)" in run["script"]
    r = c.patch(f"{TASKS}/stopped", json={"status": "enabled"})
    assert r.status_code == 400
    assert r.json()["error"] == "unknown template tmpl: err: no template exists"
    assert c.get(f"{TASKS}/stopped").json()["status"] == "disabled"
    # disabling an orphan still works
    assert c.patch(f"{TASKS}/running", json={"status": "disabled"}).status_code == 200
    r = c.post(TASKS, json={"id": "new", "template-id": "tmpl", "dbrps": DBRPS})
    assert r.status_code == 400
