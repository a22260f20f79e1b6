"""End-to-end: recordings and replays through the real server's API."""

from __future__ import annotations

import time

import httpx

from kapacitrio.models.timefmt import format_rfc3339

TASKS = "/kapacitor/v1/tasks"
RECORDINGS = "/kapacitor/v1/recordings"
REPLAYS = "/kapacitor/v1/replays"
S = 1_000_000_000

ALERT_SCRIPT = """stream
    |from()
        .measurement('cpu')
    |alert()
        .crit(lambda: "value" > 80)
        .id('cpu')
"""


def wait_done(c: httpx.Client, path: str, timeout: float = 20.0) -> dict:
    """Poll a recording or replay until it is no longer running (200)."""
    deadline = time.monotonic() + timeout
    while True:
        r = c.get(path)
        assert r.status_code in (200, 202), r.text
        if r.status_code == 200:
            return r.json()
        assert r.json()["status"] == "running"
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} still running: {r.json()}")
        time.sleep(0.05)


def define(c: httpx.Client, task_id: str, script: str, typ: str = "stream", status="enabled"):
    r = c.post(
        TASKS,
        json={
            "id": task_id,
            "type": typ,
            "dbrps": [{"db": "db", "rp": "rp"}],
            "script": script,
            "status": status,
        },
    )
    assert r.status_code == 200, r.text


def record_cpu(c: httpx.Client, rec_id: str = "rec1") -> dict:
    """A stream recording of six cpu points (two critical) ended by a point past its stop."""
    base = time.time_ns() // S * S  # the server's clock ends the recording at `stop` too
    stop = base + 3600 * S
    r = c.post(
        RECORDINGS + "/stream", json={"id": rec_id, "task": "cpu", "stop": format_rfc3339(stop)}
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "running"
    assert r.json()["type"] == "stream"
    lines = [f"cpu,host=a value={v} {base + i * S}" for i, v in enumerate([10, 90, 20, 95, 30, 40])]
    lines.append(f"mem,host=a value=1 {base + 7 * S}")  # not the task's measurement
    r = c.post("/kapacitor/v1/write?db=db&rp=rp", content="\n".join(lines))
    assert r.status_code == 204, r.text
    r = c.post("/kapacitor/v1/write?db=db&rp=rp", content=f"cpu,host=a value=1 {stop + S}")
    assert r.status_code == 204
    return wait_done(c, f"{RECORDINGS}/{rec_id}")


def test_stream_record_and_replay(server):
    c = server.client
    define(c, "cpu", ALERT_SCRIPT)
    rec = record_cpu(c)
    assert rec["status"] == "finished", rec
    assert rec["progress"] == 1
    assert rec["size"] > 0
    assert rec["error"] == ""
    live_before = c.get(f"{TASKS}/cpu").json()["stats"]["node-stats"]["alert2"]

    r = c.post(REPLAYS, json={"id": "rp1", "task": "cpu", "recording": "rec1"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["task"] == "cpu" and body["recording"] == "rec1"
    assert body["clock"] == "fast" and body["recording-time"] is False
    replay = wait_done(c, f"{REPLAYS}/rp1")
    assert replay["status"] == "finished", replay
    nodes = replay["stats"]["node-stats"]
    assert nodes["from1"]["emitted"] == 6
    assert nodes["alert2"]["crits_triggered"] == 2
    # the live task saw nothing of the replay
    live_after = c.get(f"{TASKS}/cpu").json()["stats"]["node-stats"]["alert2"]
    assert live_after["collected"] == live_before["collected"]

    listed = c.get(RECORDINGS).json()["recordings"]
    assert [x["id"] for x in listed] == ["rec1"]
    listed = c.get(REPLAYS, params={"fields": "status"}).json()["replays"]
    assert listed == [
        {"status": "finished", "id": "rp1", "link": {"rel": "self", "href": f"{REPLAYS}/rp1"}}
    ]


def test_replay_errors(server):
    c = server.client
    define(c, "cpu", ALERT_SCRIPT)
    define(c, "b", "batch|query('SELECT mean(v) FROM db.rp.m').period(1m).every(1m)", "batch")
    record_cpu(c)
    cases = [
        (REPLAYS, {"task": "nope", "recording": "rec1"}, 404, "task load: no task exists"),
        (
            REPLAYS,
            {"task": "cpu", "recording": "nope"},
            404,
            "recording not found: no recording exists",
        ),
        (
            REPLAYS,
            {"task": "cpu", "recording": "rec1", "clock": "slow"},
            400,
            "invalid clock type slow",
        ),
        (
            REPLAYS,
            {"task": "b", "recording": "rec1"},
            400,
            "cannot replay stream recording rec1 against batch task b",
        ),
        (
            REPLAYS,
            {"id": "a b", "task": "cpu", "recording": "rec1"},
            400,
            "replay ID must contain only letters, numbers, '-', '.' and '_'. \"a b\"",
        ),
        (
            REPLAYS + "/batch",
            {"task": "cpu", "start": "2020-01-01T00:00:00Z"},
            400,
            "cannot replay batch against stream task: cpu",
        ),
        (REPLAYS + "/batch", {"task": "b"}, 400, "must provide start time"),
        (REPLAYS + "/query", {"task": "b"}, 400, "must provide query"),
        (RECORDINGS + "/batch", {"task": "b", "start": "yesterday"}, 400, None),
        (RECORDINGS + "/batch", {"task": "b"}, 400, "must provide start time"),
        (
            RECORDINGS + "/stream",
            {"task": "nope", "stop": "2020-01-01T00:00:00Z"},
            404,
            "no task exists",
        ),
        (
            RECORDINGS + "/stream",
            {"task": 5},
            400,
            "json: cannot unmarshal number into Go struct field RecordStreamOptions.task of type string",
        ),
        (RECORDINGS + "/query", {"type": "stream"}, 400, "must provide query"),
        (RECORDINGS + "/query", {"query": "SELECT 1", "type": "x"}, 400, None),
        (
            RECORDINGS + "/stream",
            {"id": "rec1", "task": "cpu", "duration": "1m"},
            400,
            "recording rec1 already exists",
        ),
    ]
    for path, body, status, message in cases:
        r = c.post(path, json=body)
        assert r.status_code == status, (path, body, r.text)
        if message is not None:
            assert r.json() == {"error": message}, (path, body)
        else:
            assert r.json()["error"], (path, body)
    r = c.post(REPLAYS, content=b"{not json")
    assert r.status_code == 400 and r.json() == {"error": "invalid JSON"}
    assert c.get(f"{RECORDINGS}/missing").status_code == 404
    assert c.get(f"{REPLAYS}/missing").status_code == 404
    assert c.get(RECORDINGS, params={"fields": "bogus"}).status_code == 400
    assert c.get(RECORDINGS, params={"limit": "x"}).status_code == 400
    # deleting what does not exist is fine
    assert c.delete(f"{RECORDINGS}/missing").status_code == 204
    assert c.delete(f"{REPLAYS}/missing").status_code == 204


def test_delete_recording_removes_file(server):
    c = server.client
    define(c, "cpu", ALERT_SCRIPT)
    record_cpu(c, "gone")
    files = list((server.data_dir / "replay").iterdir())
    assert [f.name for f in files] == ["gone.srpl"]
    assert c.delete(f"{RECORDINGS}/gone").status_code == 204
    assert c.get(f"{RECORDINGS}/gone").status_code == 404
    assert list((server.data_dir / "replay").iterdir()) == []


def test_running_recording_fails_on_restart(server):
    c = server.client
    define(c, "cpu", ALERT_SCRIPT)
    r = c.post(RECORDINGS + "/stream", json={"id": "long", "task": "cpu", "duration": "1h"})
    assert r.status_code == 201
    assert c.get(f"{RECORDINGS}/long").status_code == 202
    server.restart()
    c = server.client
    r = c.get(f"{RECORDINGS}/long")
    assert r.status_code == 200
    assert r.json()["status"] == "failed"
    assert r.json()["error"] == "unexpected Kapacitor shutdown"


def test_task_seen_through_a_running_replay_and_delete_stops_it(server):
    c = server.client
    define(c, "cpu", ALERT_SCRIPT)
    base = time.time_ns() // S * S
    stop = base + 7200 * S
    r = c.post(
        RECORDINGS + "/stream", json={"id": "slow", "task": "cpu", "stop": format_rfc3339(stop)}
    )
    assert r.status_code == 201
    body = f"cpu value=90 {base}\ncpu value=10 {base + 3600 * S}\ncpu value=1 {stop + S}"
    assert c.post("/kapacitor/v1/write?db=db&rp=rp", content=body).status_code == 204
    assert wait_done(c, f"{RECORDINGS}/slow")["status"] == "finished"

    # on the real clock the hour between the two points keeps the replay running
    r = c.post(REPLAYS, json={"id": "live", "task": "cpu", "recording": "slow", "clock": "real"})
    assert r.status_code == 201
    deadline = time.monotonic() + 10
    while True:
        r = c.get(f"{TASKS}/cpu", params={"replay-id": "live"})
        if r.status_code == 200 and r.json()["stats"]["node-stats"]["alert2"]["collected"] == 1:
            break
        assert time.monotonic() < deadline, r.text
        time.sleep(0.05)
    view = r.json()
    assert view["id"] == "cpu" and view["executing"] is True
    assert view["stats"]["node-stats"]["alert2"]["crits_triggered"] == 1
    assert "digraph cpu" in view["dot"]
    got = c.get(f"{REPLAYS}/live")
    assert got.status_code == 202 and got.json()["status"] == "running"
    assert 0 <= got.json()["progress"] < 1
    # the live task is untouched by the replay
    assert c.get(f"{TASKS}/cpu").json()["stats"]["node-stats"]["alert2"]["collected"] == 3

    assert c.get(f"{TASKS}/cpu", params={"replay-id": "nope"}).status_code == 404
    assert c.delete(f"{REPLAYS}/live").status_code == 204
    assert c.get(f"{REPLAYS}/live").status_code == 404
    assert c.get(f"{TASKS}/cpu", params={"replay-id": "live"}).status_code == 404
    assert c.get(REPLAYS).json()["replays"] == []


def test_recording_files_in_the_replay_dir_are_adopted_on_start(server):
    c = server.client
    define(c, "cpu", ALERT_SCRIPT)
    record_cpu(c, "orig")
    replay_dir = server.data_dir / "replay"
    (replay_dir / "copy.srpl").write_bytes((replay_dir / "orig.srpl").read_bytes())
    server.restart()
    c = server.client
    r = c.get(f"{RECORDINGS}/copy")
    assert r.status_code == 200
    assert r.json()["status"] == "finished" and r.json()["type"] == "stream"
    assert c.post(REPLAYS, json={"id": "x", "task": "cpu", "recording": "copy"}).status_code == 201
    replay = wait_done(c, f"{REPLAYS}/x")
    assert replay["stats"]["node-stats"]["from1"]["emitted"] == 6
    ids = [x["id"] for x in c.get(RECORDINGS, params={"pattern": "c*"}).json()["recordings"]]
    assert ids == ["copy"]


def test_query_recording_without_influxdb_fails_with_a_reason(server):
    c = server.client
    r = c.post(
        RECORDINGS + "/query",
        json={"id": "q", "type": "stream", "query": 'SELECT v FROM "db"."rp"."m"'},
    )
    assert r.status_code == 201
    rec = wait_done(c, f"{RECORDINGS}/q")
    assert rec["status"] == "failed"
    assert rec["error"] == "InfluxDB not configured, cannot record query"
    r = c.post(
        RECORDINGS + "/query", json={"id": "q2", "type": "batch", "query": "SELECT v FROM m"}
    )
    rec = wait_done(c, f"{RECORDINGS}/q2")
    assert rec["error"] == (
        "could not determine database and retention policy. Is the query fully qualified?"
    )
