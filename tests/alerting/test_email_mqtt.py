"""The smtp handler against a real aiosmtpd server and the mqtt handler against a real mosquitto."""

from __future__ import annotations

import threading
from email import message_from_bytes
from pathlib import Path

import pytest

from kapacitrio.alerting import levels
from kapacitrio.alerting.handlers.mqtt import MQTTConfig
from kapacitrio.alerting.handlers.smtp import SMTPConfig
from tests.alerting.conftest import make_event, settle
from tests.mosquitto import running_mosquitto
from tests.smtpsink import running_smtp_sink


@pytest.fixture
def smtp_server():
    with running_smtp_sink() as server:
        yield server


async def test_email_subject_is_message_body_is_details(service, sections, smtp_server):
    controller, sink = smtp_server
    sections["smtp"] = SMTPConfig(
        enabled=True,
        host="127.0.0.1",
        port=controller.port,
        from_="kapacitor@example.com",
        to=["default@example.com"],
    )
    h = service.build_inline("email", ["ops@example.com"], {"to": ["dev@example.com"]})
    service.attach_task_handlers("t", [h])
    event = make_event(levels.CRITICAL, message="cpu is CRITICAL")
    event.state.details = "<b>hot</b>"
    service.handle_event("t", event)
    await settle(service)
    (mail,) = sink.envelopes
    assert mail.mail_from == "kapacitor@example.com"
    assert mail.rcpt_tos == ["ops@example.com", "dev@example.com"]
    msg = message_from_bytes(mail.content)
    assert msg["Subject"] == "cpu is CRITICAL"
    assert msg.get_content_type() == "text/html"
    assert msg.get_payload(decode=True).decode().strip() == "<b>hot</b>"


async def test_email_falls_back_to_config_recipients(service, sections, smtp_server):
    controller, sink = smtp_server
    sections["smtp"] = SMTPConfig(
        enabled=True,
        host="127.0.0.1",
        port=controller.port,
        from_="k@example.com",
        to=["all@example.com"],
    )
    await service.create_handler("sys", {"id": "mail", "kind": "smtp"})
    service.handle_event("sys", make_event())
    await settle(service)
    (mail,) = sink.envelopes
    assert mail.rcpt_tos == ["all@example.com"]


async def test_email_disabled_service_is_an_error(service, sections, smtp_server):
    controller, sink = smtp_server
    sections["smtp"] = SMTPConfig(enabled=False, host="127.0.0.1", port=controller.port)
    runners = service.attach_task_handlers("t", [service.build_inline("email", ["a@b.c"], {})])
    service.handle_event("t", make_event())
    await settle(service)
    assert runners[0].stats["errors"] == 1
    assert sink.envelopes == []


@pytest.fixture
def mosquitto(tmp_path: Path):
    with running_mosquitto(tmp_path) as port:
        yield port


def subscribe(port: int, topic: str):
    import paho.mqtt.client as paho

    got: list[tuple[str, bytes, bool]] = []
    ready = threading.Event()
    client = paho.Client(paho.CallbackAPIVersion.VERSION2)
    client.on_connect = lambda c, u, f, rc, p=None: c.subscribe(topic, qos=1)
    client.on_subscribe = lambda *a: ready.set()
    client.on_message = lambda c, u, m: got.append((m.topic, m.payload, m.retain))
    client.connect("127.0.0.1", port)
    client.loop_start()
    assert ready.wait(10)
    return client, got


async def test_mqtt_publishes_message_to_topic(service, sections, mosquitto):
    import trio

    sections["mqtt"] = [MQTTConfig(enabled=True, name="local", url=f"tcp://127.0.0.1:{mosquitto}")]
    client, got = subscribe(mosquitto, "alerts/#")
    try:
        h = service.build_inline("mqtt", ["alerts/cpu"], {"brokerName": "local", "qos": 1})
        runners = service.attach_task_handlers("t", [h])
        service.handle_event("t", make_event(levels.WARNING, message="cpu is WARNING"))
        await settle(service)
        assert runners[0].stats["delivered"] == 1
        with trio.fail_after(10):
            while not got:
                await trio.sleep(0.01)
        assert got[0][:2] == ("alerts/cpu", b"cpu is WARNING")
    finally:
        client.loop_stop()
        client.disconnect()


async def test_mqtt_unknown_broker_is_an_error(service, sections, mosquitto):
    sections["mqtt"] = [MQTTConfig(enabled=True, name="local", url=f"tcp://127.0.0.1:{mosquitto}")]
    h = service.build_inline("mqtt", ["t"], {"brokerName": "other"})
    runners = service.attach_task_handlers("t", [h])
    service.handle_event("t", make_event())
    await settle(service)
    assert runners[0].stats["errors"] == 1
