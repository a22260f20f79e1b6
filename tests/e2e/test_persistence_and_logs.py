"""End-to-end: everything survives a restart; the log tail streams filtered entries."""

from __future__ import annotations

import json
import threading
import time

import httpx

DBRPS = [{"db": "db", "rp": "rp"}]
RAW = "stream|from().measurement('cpu')|window().period(10s).every(10s)|count('value')|httpOut('count')"
TEMPLATE = "var m string\nstream|from().measurement(m)|window().period(10s).every(10s)|count('value')|httpOut('count')"


def write(c, body: str):
    r = c.post("/write", params={"db": "db", "rp": "rp", "precision": "s"}, content=body)
    assert r.status_code == 204, r.text


def test_restart_brings_everything_back(server):
    c = server.client
    assert (
        c.post(
            "/kapacitor/v1/tasks",
            json={"id": "on", "dbrps": DBRPS, "script": RAW, "status": "enabled", "type": "stream"},
        ).status_code
        == 200
    )
    assert (
        c.post(
            "/kapacitor/v1/tasks",
            json={"id": "off", "dbrps": DBRPS, "script": RAW, "type": "stream"},
        ).status_code
        == 200
    )
    assert (
        c.post(
            "/kapacitor/v1/templates", json={"id": "tm", "type": "stream", "script": TEMPLATE}
        ).status_code
        == 200
    )
    vars_ = {"m": {"type": "string", "value": "cpu"}}
    r = c.post(
        "/kapacitor/v1/tasks",
        json={
            "id": "fromtm",
            "template-id": "tm",
            "dbrps": DBRPS,
            "vars": vars_,
            "status": "enabled",
        },
    )
    assert r.status_code == 200
    before = {
        t["id"]: t
        for t in c.get(
            "/kapacitor/v1/tasks",
            params={"fields": ["status", "created", "modified", "vars", "script", "last-enabled"]},
        ).json()["tasks"]
    }
    tmpl_before = c.get("/kapacitor/v1/templates/tm").json()
    ids_before = {
        k: v for k, v in c.get("/kapacitor/v1/debug/vars").json().items() if k.endswith("_id")
    }

    server.restart()
    c = server.client
    after = {
        t["id"]: t
        for t in c.get(
            "/kapacitor/v1/tasks",
            params={"fields": ["status", "created", "modified", "vars", "script", "last-enabled"]},
        ).json()["tasks"]
    }
    assert after == before
    assert c.get("/kapacitor/v1/templates/tm").json() == tmpl_before
    assert {
        k: v for k, v in c.get("/kapacitor/v1/debug/vars").json().items() if k.endswith("_id")
    } == ids_before
    assert c.get("/kapacitor/v1/tasks/on").json()["executing"] is True
    assert c.get("/kapacitor/v1/tasks/fromtm").json()["executing"] is True
    assert c.get("/kapacitor/v1/tasks/off").json()["executing"] is False
    write(c, "cpu value=1 0\ncpu value=1 3\ncpu value=1 11\n")
    for tid in ("on", "fromtm"):
        assert c.get(f"/kapacitor/v1/tasks/{tid}/count").json()["series"][0]["values"][0][1] == 2
    assert c.get("/kapacitor/v1/tasks/off/count").status_code == 404
    # changes after the restart persist too
    assert c.delete("/kapacitor/v1/tasks/on").status_code == 204
    assert c.patch("/kapacitor/v1/tasks/off", json={"status": "enabled"}).status_code == 200
    server.restart()
    c = server.client
    assert [t["id"] for t in c.get("/kapacitor/v1/tasks").json()["tasks"]] == ["fromtm", "off"]
    assert c.get("/kapacitor/v1/tasks/off").json()["executing"] is True


def _tail(url: str, params: dict, headers: dict, lines: list, ready: threading.Event, want: int):
    with httpx.stream("GET", url, params=params, headers=headers, timeout=30) as r:
        lines.append(("status", r.status_code, r.headers.get("transfer-encoding")))
        ready.set()
        for line in r.iter_lines():
            lines.append(line)
            if len(lines) > want:
                return


def test_log_tail_json_and_logfmt_with_filters(server):
    c = server.client
    url = f"{server.preview}/logs"
    got_json: list = []
    got_fmt: list = []
    ready = [threading.Event(), threading.Event()]
    threads = [
        threading.Thread(
            target=_tail,
            args=(
                url,
                {"service": "task_store"},
                {"Content-Type": "application/json"},
                got_json,
                ready[0],
                2,
            ),
        ),
        threading.Thread(target=_tail, args=(url, {"task": "logged"}, {}, got_fmt, ready[1], 1)),
    ]
    for t in threads:
        t.start()
    for ev in ready:
        assert ev.wait(20)
    r = c.post(
        "/kapacitor/v1/tasks",
        json={"id": "logged", "dbrps": DBRPS, "script": RAW, "type": "stream", "status": "enabled"},
    )
    assert r.status_code == 200
    assert c.delete("/kapacitor/v1/tasks/logged").status_code == 204
    for t in threads:
        t.join(30)
        assert not t.is_alive()
    assert got_json[0][:2] == ("status", 200) and got_json[0][2] == "chunked"
    entries = [json.loads(line) for line in got_json[1:]]
    assert all(e["service"] == "task_store" for e in entries)
    assert [e["msg"] for e in entries] == ["started task", "created task"]
    assert list(entries[0])[:3] == ["ts", "lvl", "msg"]
    assert entries[0]["task"] == "logged" and entries[0]["lvl"] == "info"
    line = got_fmt[1]
    assert line.startswith("ts=") and " lvl=info " in line and "task=logged" in line


def test_vanished_tailer_does_not_block_logging(server):
    c = server.client
    with httpx.stream("GET", f"{server.preview}/logs", timeout=30) as r:
        assert r.status_code == 200
        # never read: the server must keep serving and logging
        for i in range(30):
            assert (
                c.post(
                    "/kapacitor/v1/tasks",
                    json={"id": f"t{i}", "dbrps": DBRPS, "script": RAW, "type": "stream"},
                ).status_code
                == 200
            )
    assert len(c.get("/kapacitor/v1/tasks").json()["tasks"]) == 30
    assert c.get("/kapacitor/v1/ping").status_code == 204


def test_shutdown_ends_open_log_tails(server_factory):
    # a long shutdown timeout: the tail must end because the server closes it, not by timing out
    srv = server_factory(env={"KAPACITOR_HTTP_SHUTDOWN_TIMEOUT": "60s"})
    lines: list = []
    ready = threading.Event()
    t = threading.Thread(target=_tail, args=(f"{srv.preview}/logs", {}, {}, lines, ready, 10_000))
    t.start()
    assert ready.wait(20)
    started = time.monotonic()
    assert srv.stop() == 0
    t.join(30)
    assert not t.is_alive()
    assert time.monotonic() - started < 30
    assert any('msg="shutting down"' in line for line in lines if isinstance(line, str))
