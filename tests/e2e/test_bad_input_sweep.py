"""Bad query values and bodies on every API area answer 4xx, never 500 (against the real server)."""

from __future__ import annotations

import json

A = "/kapacitor/v1"
WEIRD_QUERY = ["", "-1", "99999999999999999999", "1e3", "[", "%00", "%ff", "NaN"]
PARAMS = ["limit", "offset", "pattern", "fields", "min-level", "lvl", "script-format", "dot-view"]
GETS = [
    A + "/tasks",
    A + "/templates",
    A + "/alerts/topics",
    A + "/alerts/topics/top",
    A + "/alerts/topics/top/events",
    A + "/alerts/topics/top/handlers",
    A + "/recordings",
    A + "/replays",
    A + "/service-tests",
    A + "/config",
    A + "/tasks/t",
    A + "/storage/stores",
    "/alerts",
    "/filters",
    "/routes",
    A + "/alerts/topics/%00",
    A + "/alerts/topics/top/events/%2e%2e",
    A + "/recordings/%00",
    A + "/replays/%00",
    A + "/service-tests/%00",
    A + "/config/%00",
]
POSTS = [
    ("POST", A + "/alerts/topics/top/handlers"),
    ("PUT", A + "/alerts/topics/top/handlers/h"),
    ("PATCH", A + "/alerts/topics/top/handlers/h"),
    ("POST", A + "/recordings/stream"),
    ("POST", A + "/recordings/batch"),
    ("POST", A + "/recordings/query"),
    ("POST", A + "/replays"),
    ("POST", A + "/replays/batch"),
    ("POST", A + "/replays/query"),
    ("POST", A + "/service-tests/smtp"),
    ("POST", A + "/config/smtp"),
    ("POST", A + "/storage/stores/tasks"),
    ("PUT", "/filters/f"),
    ("PUT", "/routes/r"),
    ("POST", "/alerts"),
]
BODIES = [b"", b"null", b"[]", b'"t"', b"5", b"{", b"\xff\xfe", b'{"id": "\\ud800"}', b"[" * 5000]
KEYS = ["id", "task", "type", "duration", "stop", "query", "recording", "clock", "kind"]
KEYS += ["options", "match", "set", "add", "if", "routes", "mute_seconds", "title"]
VALUES = [None, -1.5, True, "", [1], {"a": 1}, 99999999999999999999, 1e308]


def test_no_500_anywhere(server):
    c = server.client
    r = c.post(
        A + "/tasks",
        json={
            "id": "t",
            "type": "stream",
            "dbrps": [{"db": "db", "rp": "rp"}],
            "script": "stream|from().measurement('cpu')|alert().crit(lambda: TRUE).topic('top')",
            "status": "enabled",
        },
    )
    assert r.status_code == 200, r.text
    c.post("/write", params={"db": "db", "rp": "rp"}, content=b"cpu value=1")
    bad = []
    for path in GETS:
        for param in PARAMS:
            for value in WEIRD_QUERY:
                r = c.get(f"{path}?{param}={value}")
                if r.status_code >= 500:
                    bad.append((path, param, value, r.status_code, r.text[:200]))
    headers = {"Content-Type": "application/json"}
    for method, path in POSTS:
        for body in BODIES:
            r = c.request(method, path, content=body, headers=headers)
            if r.status_code >= 500:
                bad.append((method, path, body[:20], r.status_code, r.text[:200]))
        for key in KEYS:
            for value in VALUES:
                r = c.request(method, path, content=json.dumps({key: value}), headers=headers)
                if r.status_code >= 500:
                    bad.append((method, path, key, value, r.status_code, r.text[:200]))
    assert bad == [], "\n".join(map(repr, bad))
