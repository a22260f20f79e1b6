"""The kkok REST API on the real server: every endpoint, errors, method override, auth, restart."""

from __future__ import annotations

import httpx

JSON = {"Content-Type": "application/json"}


def put_json(client: httpx.Client, path: str, body, headers=None) -> httpx.Response:
    return client.put(path, json=body, headers={**JSON, **(headers or {})})


def assert_text_error(resp: httpx.Response, status: int, needle: str) -> None:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("text/plain")
    assert needle in resp.text


def test_version_and_kapacitor_routes_coexist(server):
    c = server.client
    r = c.get("/version")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert r.text.count(".") == 2
    assert c.get("/kapacitor/v1/ping").status_code == 204
    assert c.get("/kapacitor/v1/filters").status_code == 404


def test_alerts_post_and_list(server):
    c = server.client
    assert c.get("/alerts").json() == []
    r = c.post("/alerts", json={"From": "mon", "Title": "disk full", "Info": {"dev": "sda"}})
    assert r.status_code == 200, r.text
    r = c.post(
        "/alerts",
        json={"From": "mon", "Title": "t2", "Host": "db1", "Date": "2020-01-02T03:04:05Z"},
    )
    assert r.status_code == 200
    alerts = c.get("/alerts")
    assert alerts.headers["content-type"] == "application/json"
    first, second = alerts.json()
    assert first["Title"] == "disk full" and first["Host"] == "127.0.0.1"
    assert first["Info"] == {"dev": "sda"} and first["Date"].endswith("Z")
    assert second["Host"] == "db1" and second["Date"] == "2020-01-02T03:04:05Z"


BAD_ALERTS = [
    (b"{not json", "invalid JSON"),
    (b"[]", "alert must be a JSON object"),
    (b'{"Title": "t"}', "From is required"),
    (b'{"From": "a", "Title": "x\\ny"}', "Title must be one line"),
    (b'{"From": "a", "Title": "t", "Date": "noon"}', "RFC3339"),
]


def test_bad_alerts_are_refused_and_nothing_is_pooled(server):
    for body, needle in BAD_ALERTS:
        r = server.client.post("/alerts", content=body, headers=JSON)
        assert_text_error(r, 400, needle)
    r = server.client.post("/alerts", content=b'{"From":"a","Title":"t"}')
    assert_text_error(r, 415, "application/json")
    r = server.client.put(
        "/filters/f", content=b'{"type":"discard"}', headers={"Content-Type": "text/plain"}
    )
    assert_text_error(r, 415, "application/json")
    assert server.client.get("/alerts").json() == []
    assert server.client.get("/filters").json() == []


def test_filter_lifecycle(server):
    c = server.client
    assert c.get("/filters").json() == []
    body = {"type": "route", "routes": ["r1"], "if": 'alert.Host == "db1"', "label": "db"}
    assert put_json(c, "/filters/b-route", body).status_code == 200
    assert put_json(c, "/filters/a_discard", {"type": "discard", "all": True}).status_code == 200
    assert c.get("/filters").json() == ["b-route", "a_discard"]
    got = c.get("/filters/b-route").json()
    assert got["type"] == "route" and got["routes"] == ["r1"] and got["label"] == "db"
    assert got["if"] == 'alert.Host == "db1"' and got["disabled"] is False

    assert c.put("/filters/b-route/disable").status_code == 200
    assert c.get("/filters/b-route").json()["disabled"] is True
    assert c.put("/filters/b-route/enable").status_code == 200
    assert c.get("/filters/b-route").json()["disabled"] is False

    r = put_json(c, "/filters/b-route/inactivate", {"until": "2099-01-01T00:00:00Z"})
    assert r.status_code == 200
    assert c.get("/filters/b-route").json()["inactive"] == "2099-01-01T00:00:00Z"
    assert c.put("/filters/b-route/enable").status_code == 200
    assert "inactive" not in c.get("/filters/b-route").json()

    # replacing keeps the filter's place in the order
    assert put_json(c, "/filters/b-route", {"type": "discard"}).status_code == 200
    assert c.get("/filters").json() == ["b-route", "a_discard"]
    assert c.get("/filters/b-route").json()["type"] == "discard"

    assert c.delete("/filters/b-route").status_code == 200
    assert c.get("/filters").json() == ["a_discard"]
    assert_text_error(c.get("/filters/b-route"), 404, "no such filter: b-route")


def test_filter_errors(server):
    c = server.client
    assert_text_error(put_json(c, "/filters/x", {"type": "nosuch"}), 400, "no such filter type")
    assert_text_error(
        put_json(c, "/filters/x", {"type": "discard", "if": "a =="}), 400, "JavaScript"
    )
    assert_text_error(put_json(c, "/filters/x", {"type": "exec"}), 400, "command is required")
    assert_text_error(put_json(c, "/filters/x", [1]), 400, "JSON object")
    assert_text_error(put_json(c, "/filters/bad.id", {"type": "discard"}), 400, "invalid filter id")
    assert_text_error(c.get("/filters/nope"), 404, "no such filter")
    assert_text_error(c.delete("/filters/nope"), 404, "no such filter")
    assert_text_error(c.put("/filters/nope/enable"), 404, "no such filter")
    assert_text_error(c.put("/filters/nope/explode"), 400, "no such filter action: explode")
    put_json(c, "/filters/x", {"type": "discard"})
    assert_text_error(put_json(c, "/filters/x/inactivate", {}), 400, "until")
    assert_text_error(put_json(c, "/filters/x/inactivate", {"until": "later"}), 400, "RFC3339")
    assert_text_error(c.post("/filters"), 405, "not allowed")
    assert c.get("/filters").json() == ["x"]


def test_routes(server):
    c = server.client
    spec = [{"type": "exec", "command": ["true"]}, {"type": "slack", "url": "http://127.0.0.1:1/"}]
    assert put_json(c, "/routes/r1", spec).status_code == 200
    assert c.get("/routes").json() == ["r1"]
    assert c.get("/routes/r1").json() == spec
    assert_text_error(put_json(c, "/routes/r1", [{"type": "pigeon"}]), 400, "no such transport")
    assert_text_error(put_json(c, "/routes/r1", {"type": "exec"}), 400, "JSON array")
    assert_text_error(put_json(c, "/routes/r1", [{"type": "email"}]), 400, "from is required")
    assert c.get("/routes/r1").json() == spec
    assert_text_error(c.get("/routes/none"), 404, "no such route: none")
    assert_text_error(c.get("/routes/a%20b"), 400, "invalid route id")


def test_method_override(server):
    c = server.client
    override = {"X-HTTP-Method-Override": "PUT", **JSON}
    r = c.post("/filters/f1", json={"type": "discard"}, headers=override)
    assert r.status_code == 200, r.text
    assert c.get("/filters").json() == ["f1"]
    r = c.post("/filters/f1/disable", headers={"X-HTTP-Method-Override": "PUT"})
    assert r.status_code == 200
    assert c.get("/filters/f1").json()["disabled"] is True
    r = c.post("/routes/r", json=[{"type": "exec", "command": ["true"]}], headers=override)
    assert r.status_code == 200 and c.get("/routes").json() == ["r"]
    r = c.post("/filters/f1", headers={"X-HTTP-Method-Override": "DELETE"})
    assert r.status_code == 200
    assert c.get("/filters").json() == []
    r = c.post("/alerts", headers={"X-HTTP-Method-Override": "GET"})
    assert r.status_code == 200 and r.json() == []


def test_auth_token(server_factory):
    srv = server_factory(env={"KAPACITOR_KKOK_API_TOKEN": "s3cret"})
    c = srv.client
    assert c.get("/version").status_code == 200
    for call in (
        lambda h: c.get("/alerts", headers=h),
        lambda h: c.post("/alerts", json={"From": "a", "Title": "t"}, headers=h),
        lambda h: c.get("/filters", headers=h),
        lambda h: c.put("/filters/f", json={"type": "discard"}, headers=h),
        lambda h: c.get("/routes", headers=h),
    ):
        assert_text_error(call({}), 401, "Bearer")
        assert call({"Authorization": "Bearer wrong"}).status_code == 401
        r = call({"Authorization": "Bearer s3cret"})
        assert r.status_code == 200, r.text
    assert c.get("/kapacitor/v1/ping").status_code == 204


def test_state_survives_restart(server):
    c = server.client
    put_json(c, "/filters/second", {"type": "discard", "if": "false"})
    put_json(c, "/filters/first", {"type": "route", "routes": ["r"]})
    c.put("/filters/second/disable")
    put_json(c, "/filters/first/inactivate", {"until": "2099-01-01T00:00:00Z"})
    put_json(c, "/routes/r", [{"type": "exec", "command": ["true"]}])
    c.post("/alerts", json={"From": "a", "Title": "pending one"})
    server.restart()
    c = server.client
    assert c.get("/filters").json() == ["second", "first"]
    assert c.get("/filters/second").json()["disabled"] is True
    assert c.get("/filters/first").json()["inactive"] == "2099-01-01T00:00:00Z"
    assert c.get("/routes/r").json() == [{"type": "exec", "command": ["true"]}]
    assert [a["Title"] for a in c.get("/alerts").json()] == ["pending one"]
