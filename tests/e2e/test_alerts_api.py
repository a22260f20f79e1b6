"""End-to-end: alert tasks posting to a receiver, the topics/events/handlers API, persistence."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kapacitrio.testing.polling import wait_for

TOPICS = "/kapacitor/v1/alerts/topics"
SCRIPT = """
stream
    |from().measurement('cpu').groupBy('host')
    |alert()
        .warn(lambda: "value" > 50)
        .crit(lambda: "value" > 90)
        .topic('system')
        .post('{url}')
"""


class Receiver:
    """A threaded HTTP server recording POST bodies (the server under test is another process)."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.paths: list[str] = []
        rec = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's hook name
                n = int(self.headers.get("Content-Length", "0"))
                rec.paths.append(self.path)
                rec.bodies.append(json.loads(self.rfile.read(n)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait(self, n: int, timeout: float = 10.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.bodies) < n and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.bodies


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.httpd.shutdown()


def define(c, task_id: str, script: str) -> None:
    r = c.post(
        "/kapacitor/v1/tasks",
        json={
            "id": task_id,
            "type": "stream",
            "dbrps": [{"db": "db", "rp": "rp"}],
            "script": script,
            "status": "enabled",
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["error"] == ""


def write(c, body: str) -> None:
    r = c.post("/write", params={"db": "db", "rp": "rp", "precision": "s"}, content=body)
    assert r.status_code == 204, r.text


def test_alert_task_topics_events_and_persistence(server, receiver):
    c = server.client
    define(c, "cpu_alert", SCRIPT.format(url=receiver.url + "/hook"))
    write(c, "cpu,host=a value=95 1\ncpu,host=b value=60 2\n")
    bodies = receiver.wait(2)
    assert sorted(b["level"] for b in bodies) == ["CRITICAL", "WARNING"]
    assert receiver.paths[0] == "/hook"

    topics = wait_for(lambda: c.get(TOPICS).json()["topics"])
    ids = {t["id"]: t for t in topics}
    assert set(ids) == {"system", "main:cpu_alert:alert2"}
    sys_t = ids["system"]
    assert sys_t["level"] == "CRITICAL"
    assert sys_t["link"] == {"rel": "self", "href": f"{TOPICS}/system"}
    assert sys_t["events-link"]["href"] == f"{TOPICS}/system/events"
    assert [t["id"] for t in c.get(TOPICS, params={"pattern": "sys*"}).json()["topics"]] == [
        "system"
    ]
    r = c.get(TOPICS, params={"min-level": "nope"})
    assert r.status_code == 400

    events = c.get(f"{TOPICS}/system/events").json()
    assert events["topic"] == "system"
    assert [(e["id"], e["state"]["level"]) for e in events["events"]] == [
        ("cpu:host=a", "CRITICAL"),
        ("cpu:host=b", "WARNING"),
    ]
    crit = c.get(f"{TOPICS}/system/events", params={"min-level": "CRITICAL"}).json()["events"]
    assert [e["id"] for e in crit] == ["cpu:host=a"]
    ev = c.get(f"{TOPICS}/system/events/cpu:host=a").json()
    assert ev["state"]["message"] == "cpu:host=a is CRITICAL"
    assert ev["state"]["time"] == "1970-01-01T00:00:01Z"
    assert ev["state"]["duration"] == "0s"
    assert c.get(f"{TOPICS}/system/events/zzz").status_code == 404

    assert c.get(f"{TOPICS}/nope").status_code == 404

    # topic state survives a restart
    server.restart()
    c = server.client
    assert c.get(f"{TOPICS}/system").json()["level"] == "CRITICAL"
    # and the alert node restores its level: a recovery is sent, with the episode's duration
    write(c, "cpu,host=a value=10 11\n")
    bodies = receiver.wait(3)
    assert bodies[2]["level"] == "OK"
    assert bodies[2]["previousLevel"] == "CRITICAL"
    assert bodies[2]["duration"] == 10_000_000_000

    # deleting the task deletes its anonymous topic, not the named one
    assert c.get(f"{TOPICS}/main:cpu_alert:alert2").status_code == 200
    assert c.delete("/kapacitor/v1/tasks/cpu_alert").status_code == 204
    assert c.get(f"{TOPICS}/main:cpu_alert:alert2").status_code == 404
    assert c.get(f"{TOPICS}/system").status_code == 200

    # deleting a topic forgets its events
    assert c.delete(f"{TOPICS}/system").status_code == 204
    assert c.get(f"{TOPICS}/system/events/cpu:host=a").status_code == 404
    server.restart()
    assert server.client.get(f"{TOPICS}/system").status_code == 404


def test_topic_handlers_api(server, receiver):
    c = server.client
    base = f"{TOPICS}/ops/handlers"
    spec = {
        "id": "hook",
        "kind": "post",
        "options": {"url": receiver.url + "/ops"},
        "match": "level() >= WARNING",
    }
    r = c.post(base, json=spec)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "link": {"rel": "self", "href": f"{base}/hook"},
        "id": "hook",
        "kind": "post",
        "options": {"url": receiver.url + "/ops"},
        "match": "level() >= WARNING",
    }
    assert c.post(base, json=spec).status_code == 400
    assert (
        c.post(base, json={"id": "x", "kind": "bogus"}).json()["error"]
        == "unknown handler kind 'bogus'"
    )
    assert c.post(base, content=b"{nope").status_code == 400

    define(c, "ops_task", SCRIPT.replace(".post('{url}')", "").replace("'system'", "'ops'"))
    write(c, "cpu,host=a value=60 1\ncpu,host=a value=20 2\n")
    bodies = receiver.wait(1)
    time.sleep(0.3)
    assert [b["level"] for b in bodies] == ["WARNING"]  # the OK recovery does not match

    r = c.patch(f"{base}/hook", json=[{"op": "replace", "path": "/match", "value": ""}])
    assert r.status_code == 200 and r.json()["match"] == ""
    r = c.put(
        f"{base}/hook", json={"id": "hook", "kind": "tcp", "options": {"address": "127.0.0.1:9"}}
    )
    assert r.json()["kind"] == "tcp"
    assert c.put(f"{base}/nope", json=spec).status_code == 404
    assert [h["id"] for h in c.get(base).json()["handlers"]] == ["hook"]
    assert c.get(base, params={"pattern": "x*"}).json()["handlers"] == []

    # event IDs may contain slashes; their links work
    define(
        c,
        "slashes",
        "stream|from().measurement('mem')|alert().id('k/{{ .Name }}/x').warn(lambda: TRUE).topic('sl')",
    )
    write(c, "mem value=1 1\n")
    assert wait_for(lambda: c.get(f"{TOPICS}/sl/events").json()["events"])
    (ev,) = c.get(f"{TOPICS}/sl/events").json()["events"]
    assert ev["id"] == "k/mem/x"
    assert ev["link"]["href"] == f"{TOPICS}/sl/events/k/mem/x"
    assert c.get(ev["link"]["href"]).json()["state"]["level"] == "WARNING"

    server.restart()
    c = server.client
    assert c.get(f"{base}/hook").json()["kind"] == "tcp"
    assert c.delete(f"{base}/hook").status_code == 204
    assert c.get(f"{base}/hook").status_code == 404
    assert c.delete(f"{base}/hook").status_code == 204  # gone already: Kapacitor's 204
    assert c.delete(f"{TOPICS}/nosuch/handlers/nope").status_code == 204
    assert c.delete(f"{TOPICS}/nosuch").status_code == 204
