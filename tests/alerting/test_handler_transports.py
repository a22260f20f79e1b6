"""Whole deliveries of the non-HTTP kinds: email (aiosmtpd), SNMP traps (UDP), MQTT (mosquitto),
and the aggregate summary, inline and as topic handlers, as Kapacitor's tests expect them."""

from __future__ import annotations

import threading
from email import message_from_bytes
from pathlib import Path

import pytest
import trio

from kapacitrio.alerting import levels
from kapacitrio.alerting.handlers.mqtt import MQTTConfig
from kapacitrio.alerting.handlers.smtp import SMTPConfig
from kapacitrio.alerting.handlers.snmptrap import SNMPTrapConfig
from tests.alerting.conftest import make_event, settle
from tests.alerting.test_handler_requests import HOW, deliver, kapacitor_event
from tests.alerting.test_services_handlers import decode
from tests.mosquitto import running_mosquitto
from tests.smtpsink import running_smtp_sink

EMAIL_DETAILS = (
    "\n<b>kapacitor.cpu.serverA is CRITICAL</b>\n\nValue: 10\n"
    '<a href="http://graphs.example.com/host/serverA">Details</a>\n'
)


@pytest.fixture
def smtp_server():
    with running_smtp_sink() as server:
        yield server


@pytest.mark.parametrize("how", HOW)
async def test_email_headers_and_quoted_printable_body(service, sections, smtp_server, how):
    controller, sink = smtp_server
    sections["smtp"] = SMTPConfig(
        enabled=True, host="127.0.0.1", port=controller.port, from_="test@example.com"
    )
    event = kapacitor_event(message="kapacitor.cpu.serverA is CRITICAL", details=EMAIL_DETAILS)
    await deliver(
        service, how, "        .email('oncall@example.com', 'backup@example.com')", "smtp",
        {"to": ["oncall@example.com", "backup@example.com"]}, event,
    )  # fmt: skip
    (mail,) = sink.envelopes
    assert mail.mail_from == "test@example.com"
    assert mail.rcpt_tos == ["oncall@example.com", "backup@example.com"]
    msg = message_from_bytes(mail.content)
    assert msg["Mime-Version"] == "1.0"
    assert msg["Content-Type"] == "text/html; charset=UTF-8"
    assert msg["Content-Transfer-Encoding"] == "quoted-printable"
    assert msg["To"] == "oncall@example.com, backup@example.com"
    assert msg["From"] == "test@example.com"
    assert msg["Subject"] == "kapacitor.cpu.serverA is CRITICAL"
    raw_body = mail.content.split(b"\r\n\r\n", 1)[1].decode().replace("\r\n", "\n")
    assert raw_body == EMAIL_DETAILS.replace('href="', 'href=3D"')
    assert msg.get_payload(decode=True).decode().replace("\r\n", "\n") == EMAIL_DETAILS


async def test_email_to_templates_read_fields_and_tags(service, sections, smtp_server):
    controller, sink = smtp_server
    sections["smtp"] = SMTPConfig(
        enabled=True, host="127.0.0.1", port=controller.port, from_="k@example.com"
    )
    snippet = (
        "        .email().to('a@example.com')"
        ".toTemplates('{{ index .Tags \"team\" }}@example.com', "
        "'{{ if gt (index .Fields \"value\") 0.5 }}pager@example.com{{ end }}')"
    )
    await deliver(service, "inline", snippet, "", {}, kapacitor_event(tags={"team": "db"}))
    (mail,) = sink.envelopes
    assert mail.rcpt_tos == ["a@example.com", "db@example.com", "pager@example.com"]


SNMP_VARBINDS = [
    ["1.3.6.1.2.1.1.3.0", 1000],
    ["1.3.6.1.6.3.1.1.4.1.0", "1.1.2"],
    ["1.1.2.1", b"message"],
    ["1.1.2.2", b"CRITICAL"],
    ["1.1.2.3", 1],
]


@pytest.mark.parametrize("how", HOW)
async def test_snmptrap_data_list(service, sections, how):
    sock = trio.socket.socket(type=trio.socket.SOCK_DGRAM)
    await sock.bind(("127.0.0.1", 0))
    sections["snmptrap"] = SNMPTrapConfig(
        enabled=True, addr=f"127.0.0.1:{sock.getsockname()[1]}", community="public"
    )
    snippet = (
        "        .snmpTrap('1.1.2').data('1.1.2.1', 's', '{{.Message}}')"
        ".data('1.1.2.2', 's', '{{.Level}}').data('1.1.2.3', 'c', '1')"
    )
    options = {
        "trap-oid": "1.1.2",
        "data-list": [
            {"oid": "1.1.2.1", "type": "s", "value": "{{.Message}}"},
            {"oid": "1.1.2.2", "type": "s", "value": "{{.Level}}"},
            {"oid": "1.1.2.3", "type": "c", "value": "1"},
        ],
    }
    await deliver(service, how, snippet, "snmptrap", options)
    with trio.fail_after(5):
        data, _ = await sock.recvfrom(65536)
    sock.close()
    ((_, msg),) = decode(data)
    (_, version), (_, community), (pdu_tag, pdu) = msg
    assert (version, community, pdu_tag) == (1, b"public", 0xA7)  # v2c SNMPv2-Trap
    binds = [[v for _, v in vb] for _, vb in pdu[3][1]]
    assert binds == SNMP_VARBINDS
    types = [vb[1][0] for _, vb in pdu[3][1]]
    assert types == [0x43, 0x06, 0x04, 0x04, 0x46]  # TimeTicks, OID, 2 strings, Counter64


@pytest.fixture
def mosquitto(tmp_path: Path):
    with running_mosquitto(tmp_path) as port:
        yield port


def _subscribe(port: int, topic: str):
    import paho.mqtt.client as paho

    got: list[tuple[str, bytes, int, bool]] = []
    ready = threading.Event()
    client = paho.Client(paho.CallbackAPIVersion.VERSION2)
    client.on_connect = lambda c, u, f, rc, p=None: c.subscribe(topic, qos=2)
    client.on_subscribe = lambda *a: ready.set()
    client.on_message = lambda c, u, m: got.append((m.topic, m.payload, m.qos, m.retain))
    client.connect("127.0.0.1", port)
    client.loop_start()
    assert ready.wait(10)
    return client, got


@pytest.mark.parametrize("how", HOW)
async def test_mqtt_qos_by_name_topic_template_retained(service, sections, mosquitto, how):
    sections["mqtt"] = [MQTTConfig(enabled=True, name="test", url=f"tcp://127.0.0.1:{mosquitto}")]
    client, got = _subscribe(mosquitto, "test/#")
    try:
        snippet = "        .mqtt('test/{{.TaskName}}').qos(1).retained(TRUE)"
        options = {"topic": "test/{{.TaskName}}", "qos": "at-least-once", "retained": True}
        runner = await deliver(service, how, snippet, "mqtt", options)
        assert runner.stats["delivered"] == 1
        with trio.fail_after(10):
            while not got:
                await trio.sleep(0.01)
        # a retained message reaches a live subscriber with the retain flag cleared
        assert got == [("test/testAlertHandlers", b"message", 1, False)]
    finally:
        client.loop_stop()
        client.disconnect()


async def test_aggregate_summary_is_not_recoverable(service, receiver, autojump_clock):
    options = {"id": "summary", "interval": "10s", "topic": "dst"}
    await service.create_handler("src", {"id": "agg", "kind": "aggregate", "options": options})
    await service.create_handler(
        "dst", {"id": "p", "kind": "post", "options": {"url": f"{receiver.url}/agg"}}
    )
    service.handle_event("src", make_event(levels.WARNING, id="a"))
    service.handle_event("src", make_event(levels.CRITICAL, id="b"))
    await settle(service)
    await trio.sleep(10.5)
    await settle(service)
    (req,) = receiver.requests
    body = req.json()
    assert body["id"] == "summary" and body["level"] == "CRITICAL"
    assert body["message"] == "Received 2 events in the last 10s."
    assert body["details"] == "a is WARNING\nb is CRITICAL"
    assert body["recoverable"] is False


async def test_snmptrap_service_test_defaults_are_kapacitors(service, sections):
    from types import SimpleNamespace

    from kapacitrio.alerting.servicetests import TESTS

    defaults, fn = TESTS["snmptrap"]
    assert defaults == {
        "trap-oid": "1.1.1.1",
        "data-list": [{"oid": "1.1.1.1.2", "type": "s", "value": "test snmptrap message"}],
    }
    sock = trio.socket.socket(type=trio.socket.SOCK_DGRAM)
    await sock.bind(("127.0.0.1", 0))
    sections["snmptrap"] = SNMPTrapConfig(enabled=True, addr=f"127.0.0.1:{sock.getsockname()[1]}")
    assert await fn(SimpleNamespace(alerts=service), dict(defaults)) == (True, "")
    with trio.fail_after(5):
        data, _ = await sock.recvfrom(65536)
    sock.close()
    ((_, msg),) = decode(data)
    binds = [[v for _, v in vb] for _, vb in msg[2][1][3][1]]
    assert binds[2] == ["1.1.1.1.2", b"test snmptrap message"]
