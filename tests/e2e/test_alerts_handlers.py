"""End-to-end: handlers configured from config sections (smtp with aiosmtpd, slack, mqtt with mosquitto)."""

from __future__ import annotations

import threading
from email import message_from_bytes
from pathlib import Path

import pytest

from kapacitrio.testing.polling import wait_for
from tests.e2e.test_alerts_api import Receiver, define, write
from tests.mosquitto import running_mosquitto
from tests.smtpsink import running_smtp_sink


def test_email_and_slack_from_config(server_factory):
    slack = Receiver()
    try:
        with running_smtp_sink() as (smtp, sink):
            config = (
                f'[smtp]\nenabled = true\nhost = "127.0.0.1"\nport = {smtp.port}\n'
                'from = "kapacitor@example.com"\n\n'
                f'[[slack]]\nenabled = true\ndefault = true\nurl = "{slack.url}/slack"\n'
                'channel = "#alerts"\nglobal = true\n'
            )
            server = server_factory(config=config)
            c = server.client
            script = """
stream
    |from().measurement('cpu')
    |alert()
        .crit(lambda: "value" > 90)
        .message('{{ .ID }} is {{ .Level }} value={{ index .Fields "value" }}')
        .details('<b>{{ .Level }}</b>')
        .email('ops@example.com')
"""
            define(c, "mail", script)
            write(c, "cpu value=95 1\n")
            assert wait_for(lambda: sink.envelopes)
            env = sink.envelopes[0]
            assert env.mail_from == "kapacitor@example.com"
            assert env.rcpt_tos == ["ops@example.com"]
            msg = message_from_bytes(env.content)
            assert msg["Subject"] == "cpu:nil is CRITICAL value=95"
            assert "<b>CRITICAL</b>" in msg.get_payload(decode=True).decode()
            # slack is global: the task gets a slack handler without asking for one
            bodies = slack.wait(1)
            assert bodies[0]["channel"] == "#alerts"
            assert bodies[0]["attachments"][0]["text"] == "cpu:nil is CRITICAL value=95"
    finally:
        slack.httpd.shutdown()


@pytest.fixture
def mosquitto(tmp_path: Path):
    with running_mosquitto(tmp_path) as port:
        yield port


def test_mqtt_topic_handler_from_api(server_factory, mosquitto):
    import paho.mqtt.client as paho

    server = server_factory(
        config=f'[[mqtt]]\nenabled = true\nname = "local"\ndefault = true\nurl = "tcp://127.0.0.1:{mosquitto}"\n'
    )
    c = server.client
    got: list = []
    ready = threading.Event()
    sub = paho.Client(paho.CallbackAPIVersion.VERSION2)
    sub.on_connect = lambda cl, u, f, rc, p=None: cl.subscribe("alerts/#", qos=1)
    sub.on_subscribe = lambda *a: ready.set()
    sub.on_message = lambda cl, u, m: got.append((m.topic, m.payload))
    sub.connect("127.0.0.1", mosquitto)
    sub.loop_start()
    try:
        assert ready.wait(10)
        r = c.post(
            "/kapacitor/v1/alerts/topics/mq/handlers",
            json={"id": "m", "kind": "mqtt", "options": {"topic": "alerts/cpu", "qos": 1}},
        )
        assert r.status_code == 200, r.text
        define(
            c,
            "mq_task",
            "stream|from().measurement('cpu')|alert().warn(lambda: \"value\" > 50).topic('mq')",
        )
        write(c, "cpu value=60 1\n")
        assert wait_for(lambda: got)
        assert got[0] == ("alerts/cpu", b"cpu:nil is WARNING")
    finally:
        sub.loop_stop()
        sub.disconnect()


def test_service_tests_api(server_factory):
    slack = Receiver()
    try:
        server = server_factory(config=f'[[slack]]\nenabled = true\nurl = "{slack.url}/s"\n')
        c = server.client
        listed = c.get("/kapacitor/v1/service-tests").json()
        names = [s["name"] for s in listed["services"]]
        assert {"slack", "smtp", "pagerduty2", "mqtt", "httppost"} <= set(names)
        only = c.get("/kapacitor/v1/service-tests", params={"pattern": "sl*"}).json()["services"]
        assert [s["name"] for s in only] == ["slack"]
        assert only[0]["options"]["message"] == "test slack message"
        r = c.post(
            "/kapacitor/v1/service-tests/slack",
            json={"message": "hello", "channel": "#t", "level": "OK"},
        )
        assert r.json() == {"success": True, "message": ""}
        body = slack.wait(1)[0]
        assert (body["channel"], body["attachments"][0]["text"]) == ("#t", "hello")
        assert body["attachments"][0]["color"] == "good"
        r = c.post("/kapacitor/v1/service-tests/pagerduty2", json={})
        assert r.json() == {"success": False, "message": "service is not enabled"}
        assert c.post("/kapacitor/v1/service-tests/nope", json={}).status_code == 404
    finally:
        slack.httpd.shutdown()


def test_log_exec_publish_and_aggregate(server, tmp_path):
    import json
    import sys

    c = server.client
    log_path = tmp_path / "alerts.log"
    exec_out = tmp_path / "exec.jsonl"
    script_py = tmp_path / "hook.py"
    script_py.write_text(f"import sys\nopen({str(exec_out)!r}, 'a').write(sys.stdin.read())\n")
    r = c.post(
        "/kapacitor/v1/alerts/topics/src/handlers",
        json={"id": "pub", "kind": "publish", "options": {"topics": ["copy"]}},
    )
    assert r.status_code == 200, r.text
    r = c.post(
        "/kapacitor/v1/alerts/topics/src/handlers",
        json={
            "id": "agg",
            "kind": "aggregate",
            "options": {"id": "sum", "topic": "summary", "interval": "2s"},
        },
    )
    assert r.status_code == 200, r.text
    script = f"""
stream
    |from().measurement('cpu')
    |alert()
        .crit(lambda: "value" > 90)
        .topic('src')
        .log('{log_path}')
        .exec('{sys.executable}', '{script_py}')
"""
    define(c, "files", script)
    write(c, "cpu value=95 1\ncpu value=5 2\n")
    assert wait_for(lambda: log_path.exists() and len(log_path.read_text().splitlines()) == 2)
    assert [json.loads(x)["level"] for x in log_path.read_text().splitlines()] == ["CRITICAL", "OK"]
    assert wait_for(lambda: exec_out.exists() and exec_out.read_text().count("\n") == 2)
    assert [json.loads(x)["level"] for x in exec_out.read_text().splitlines()] == ["CRITICAL", "OK"]
    topics = "/kapacitor/v1/alerts/topics"
    assert wait_for(lambda: c.get(f"{topics}/copy/events/cpu:nil").status_code == 200)
    assert c.get(f"{topics}/copy/events/cpu:nil").json()["state"]["level"] == "OK"
    assert wait_for(lambda: c.get(f"{topics}/summary/events/sum").status_code == 200)
    summary = c.get(f"{topics}/summary/events/sum").json()["state"]
    assert summary["message"] == "Received 2 events in the last 2s."
    assert summary["level"] == "CRITICAL"
