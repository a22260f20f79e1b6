"""kkok on the real server: alerts delivered by email to aiosmtpd, exec routes, kkok's own port."""

from __future__ import annotations

import json
import socket
import sys
import time
from email import message_from_bytes

import httpx
import pytest

from kapacitrio.testing.ports import free_port
from tests.e2e.test_kkok_kapacitor import wait_for
from tests.smtpsink import running_smtp_sink

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def smtp():
    with running_smtp_sink() as running:
        yield running


def test_email_route_delivers_to_smtp(server_factory, smtp):
    ctl, handler = smtp
    config = f"""
[kkok]
initial_interval = 1
max_interval = 2

[[kkok.filters]]
id = "mail-db"
type = "route"
routes = ["mail"]
if = "alert.Host == 'db1'"

[kkok.routes]
mail = [{{type = "email", from = "kkok@example.com", host = "127.0.0.1", port = {ctl.port}, to = ["ops@example.com"]}}]
"""
    srv = server_factory(config=config)
    c = srv.client
    assert c.get("/filters").json() == ["mail-db"]
    r = c.post(
        "/alerts",
        json={"From": "mon", "Title": "replication lag", "Host": "db1", "Message": "lag 30s"},
    )
    assert r.status_code == 200
    c.post("/alerts", json={"From": "mon", "Title": "not routed", "Host": "web1"})
    (env,) = wait_for(lambda: handler.envelopes)
    msg = message_from_bytes(env.content)
    assert msg["Subject"] == "replication lag" and env.rcpt_tos == ["ops@example.com"]
    assert "lag 30s" in msg.get_payload(decode=True).decode()
    wait_for(lambda: c.get("/alerts").json() == [])
    time.sleep(1.5)
    assert len(handler.envelopes) == 1


def test_grouped_alerts_reach_exec_route_and_static_filters_run_first(server_factory, tmp_path):
    out = tmp_path / "out.jsonl"
    code = f"import sys; open({str(out)!r}, 'a').write(sys.stdin.read())"
    config = """
[kkok]
initial_interval = 1
max_interval = 1

[[kkok.filters]]
id = "tag"
type = "edit"
code = "alert.Info.seen = 'static'"
"""
    srv = server_factory(config=config)
    c = srv.client
    route = [{"type": "exec", "command": [sys.executable, "-c", code]}]
    assert c.put("/routes/file", json=route).status_code == 200
    group = {"type": "group", "by": "alert.Info.svc", "routes": ["file"], "title": "svc down"}
    assert c.put("/filters/grp", json=group).status_code == 200
    assert c.get("/filters").json() == ["tag", "grp"]
    for host in ("a", "b"):
        c.post(
            "/alerts",
            json={"From": "m", "Title": f"down {host}", "Host": host, "Info": {"svc": "x"}},
        )
    wait_for(lambda: out.exists() and out.read_text().strip())
    (doc,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert doc["Title"] == "svc down" and doc["Host"] == "localhost"
    assert [s["Title"] for s in doc["Sub"]] == ["down a", "down b"]
    assert all(s["Info"]["seen"] == "static" for s in doc["Sub"])


def test_kkok_api_on_its_own_port(server_factory):
    port = free_port()
    srv = server_factory(
        env={"KAPACITOR_KKOK_BIND_ADDRESS": f"127.0.0.1:{port}", "KAPACITOR_KKOK_API_TOKEN": "t"}
    )
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as own:
        wait_for(lambda: _answers(own))
        assert own.get("/version").status_code == 200
        assert own.get("/alerts").status_code == 401
        auth = {"Authorization": "Bearer t"}
        r = own.post("/alerts", json={"From": "a", "Title": "t"}, headers=auth)
        assert r.status_code == 200
        assert own.get("/kapacitor/v1/ping").status_code == 404
    # the same pool is seen through the main server
    assert [a["Title"] for a in srv.client.get("/alerts", headers=auth).json()] == ["t"]


def _answers(client: httpx.Client) -> bool:
    try:
        return client.get("/version").status_code == 200
    except httpx.TransportError:
        return False


def test_bad_static_filter_stops_startup_with_clear_error(server_factory):
    srv = server_factory(
        config='[kkok]\n[[kkok.filters]]\nid = "x"\ntype = "discard"\nif = "a =="\n', start=False
    )
    with pytest.raises(RuntimeError, match="bad JavaScript"):
        srv.start(timeout=15)


def test_maildir_source_and_runaway_javascript(server_factory, tmp_path):
    maildir = tmp_path / "Maildir"
    (maildir / "new").mkdir(parents=True)
    config = f"""
[kkok]
initial_interval = 1
max_interval = 1
js_time_limit = 0.2

[[kkok.sources]]
type = "maildir"
dir = "{maildir}"
interval = 1
"""
    out = tmp_path / "out.jsonl"
    code = f"import sys; open({str(out)!r}, 'a').write(sys.stdin.read())"
    srv = server_factory(config=config)
    c = srv.client
    c.put("/routes/file", json=[{"type": "exec", "command": [sys.executable, "-c", code]}])
    c.put("/filters/all-to-file", json={"type": "route", "routes": ["file"]})
    # accepted (it compiles), but every run hits the time limit: the round goes on without it
    r = c.put("/filters/spin", json={"type": "discard", "if": "(function(){ while (true) {} })()"})
    assert r.status_code == 200
    (maildir / "new" / "1.eml").write_bytes(
        b"From: Backup <backup@example.com>\nSubject: backup failed\n\nHost: nas1\n\ndisk error\n"
    )
    wait_for(lambda: out.exists() and out.read_text().strip(), timeout=20)
    (doc,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert (doc["From"], doc["Title"], doc["Host"]) == ("Backup", "backup failed", "nas1")
    assert doc["Message"] == "disk error\n"
    assert (maildir / "cur" / "1.eml:2,S").exists()
    assert "filter failed" in srv.logs()


def test_busy_kkok_port_leaves_the_api_at_the_root(server_factory):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        srv = server_factory(env={"KAPACITOR_KKOK_BIND_ADDRESS": f"127.0.0.1:{port}"})
        assert srv.client.get("/version").status_code == 200
        assert "kkok API listener not started" in srv.logs()
        assert "Address already in use" in srv.logs()
