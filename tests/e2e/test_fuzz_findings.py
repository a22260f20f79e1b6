"""Bad input the OpenAPI fuzzing (and issue 16) found answering 500: each now a clear 4xx or a 200."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import ServerProcess

JSON = {"Content-Type": "application/json"}
LONE = "\\ud800"  # a lone UTF-16 surrogate as a JSON escape


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    server = ServerProcess(tmp_path_factory.mktemp("findings")).start()
    yield server
    server.stop()


def _lone(body: str) -> str:
    """`body` with every `@` a lone surrogate escape."""
    return body.replace("@", LONE)


def _text_answer(resp, status: int) -> str:
    assert resp.status_code == status, (resp.status_code, resp.text)
    assert resp.headers["content-type"].startswith("text/plain"), resp.headers
    return resp.text


def test_users_limit_or_offset_beyond_64_bits_is_a_400(srv):
    for name in ("limit", "offset"):
        resp = srv.client.get("/kapacitor/v1/users", params={name: "9" * 24})
        assert resp.status_code == 400, resp.text
        assert resp.json()["error"] == f'invalid {name} parameter "{"9" * 24}" must be an integer'


@pytest.mark.parametrize("field", ["From", "Title", "Host", "Message"])
def test_kkok_alert_with_a_lone_surrogate_is_taken_with_a_replacement_character(srv, field):
    doc = {"From": "mon", "Title": "disk", field: f"x{LONE}y"}
    body = json.dumps(doc).replace("\\\\ud800", LONE)
    resp = srv.client.post("/alerts", content=body, headers=JSON)
    assert _text_answer(resp, 200) == ""
    pending = srv.client.get("/alerts").json()
    assert any(a.get(field) == "x\ufffdy" for a in pending), pending


def test_kkok_alert_info_key_and_value_with_lone_surrogates(srv):
    body = _lone('{"From": "mon", "Title": "t", "Info": {"k@": "v@"}}')
    _text_answer(srv.client.post("/alerts", content=body, headers=JSON), 200)
    pending = srv.client.get("/alerts").json()
    assert any((a.get("Info") or {}).get("k\ufffd") == "v\ufffd" for a in pending), pending


def test_kkok_route_with_a_lone_surrogate(srv):
    body = _lone('[{"type": "exec", "command": ["echo", "a@"]}]')
    _text_answer(srv.client.put("/routes/r1", content=body, headers=JSON), 200)
    assert srv.client.get("/routes/r1").json() == [{"type": "exec", "command": ["echo", "a\ufffd"]}]


def test_kkok_filter_with_lone_surrogates(srv):
    body = _lone('{"type": "discard", "if": "alert.From == \\"@\\""}')
    _text_answer(srv.client.put("/filters/f1", content=body, headers=JSON), 200)
    assert srv.client.get("/filters/f1").json()["if"] == 'alert.From == "\ufffd"'
    body = _lone('{"type": "discard@"}')
    assert "discard\ufffd" in _text_answer(
        srv.client.put("/filters/f2", content=body, headers=JSON), 400
    )
    body = _lone('{"until": "@"}')
    _text_answer(srv.client.put("/filters/f1/inactivate", content=body, headers=JSON), 400)


@pytest.mark.parametrize("number", ["1e400", "-1e400", "NaN", "Infinity"])
def test_kkok_numbers_outside_float64_are_a_400(srv, number):
    body = '[{"type": "exec", "command": "true", "timeout": %s}]'.replace("%s", number)
    text = _text_answer(srv.client.put("/routes/r2", content=body, headers=JSON), 400)
    assert text.startswith("invalid JSON body")
    body = '{"From": "a", "Title": "t", "Info": {"n": %s}}'.replace("%s", number)
    _text_answer(srv.client.post("/alerts", content=body, headers=JSON), 400)
    assert srv.client.get("/routes/r2").status_code == 404


def test_kapacitor_numbers_outside_float64_are_invalid_json(srv):
    body = '{"id": "h", "kind": "aggregate", "options": {"interval": 1e400, "topic": "x"}}'
    resp = srv.client.post("/kapacitor/v1/alerts/topics/t/handlers", content=body)
    assert (resp.status_code, resp.json()) == (400, {"error": "invalid JSON"})
