"""The `mqtt` handler: the alert message published to a topic of a configured broker."""

from __future__ import annotations

import threading
import urllib.parse
from dataclasses import dataclass
from typing import Any

import trio

from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import define
from kapacitrio.alerting.handlers.base import HandlerEnv, HandlerFailed, section_field
from kapacitrio.alerting.handlers.kind import TLS_KEYS, Ctx, Kind, Tick, config_section
from kapacitrio.alerting.handlers.options import ANY, BOOL, DecodeError, Opt, Table, Values
from kapacitrio.alerting.handlers.services_common import template_data

TIMEOUT = 10.0
QOS_NAMES = {"at-most-once": 0, "at-least-once": 1, "exactly-once": 2}

MQTTConfig = config_section(
    "mqtt",
    "MQTTConfig",
    "`[[mqtt]]`: one MQTT broker.",
    {
        "enabled": False,
        "name": "",
        "default": False,
        "url": "tcp://localhost:1883",
        **TLS_KEYS,
        "client_id": "",
        "username": "",
        "password": "",
    },
    many=True,
    secrets=("password",),
)


def _qos(value: Any) -> int:
    """A QoS level by number (0-2) or by Kapacitor's name (`at-least-once`)."""
    if isinstance(value, str):
        level = QOS_NAMES.get(value.lower())
        if level is None:
            raise DecodeError(f"error decoding 'qos': unknown QoS level \"{value}\"")
        return level
    if isinstance(value, bool) or not isinstance(value, int | float) or value not in (0, 1, 2):
        raise ValueError(f"invalid QoS level {value}: must be 0, 1 or 2")
    return int(value)


def _topic(value: str) -> str:
    if not value:
        raise ValueError("mqtt handler requires a topic")
    return value


TABLE = Table(
    "*mqtt.HandlerConfig",
    (
        Opt("broker-name", tick="brokerName"),
        Opt("topic", templated=True, convert=_topic),
        Opt("qos", ANY, default=0, convert=_qos, tick_as="field", tick_params=("int",)),
        Opt("retained", BOOL, tick_as="field"),
    ),
)


def publish(sec: Any, topic: str, payload: bytes, qos: int, retained: bool) -> None:
    """Connect, publish one message and wait for it to be acknowledged (blocking; worker thread)."""
    import paho.mqtt.client as paho

    url = urllib.parse.urlparse(section_field(sec, "url", "tcp://localhost:1883"))
    host, port = url.hostname or "localhost", url.port or (8883 if url.scheme == "ssl" else 1883)
    client = paho.Client(
        paho.CallbackAPIVersion.VERSION2, client_id=section_field(sec, "client_id", "") or ""
    )
    if section_field(sec, "username", ""):
        client.username_pw_set(section_field(sec, "username"), section_field(sec, "password", ""))
    if url.scheme in ("ssl", "tls", "mqtts"):
        client.tls_set(ca_certs=section_field(sec, "ssl_ca", "") or None)
        if section_field(sec, "insecure_skip_verify", False):
            client.tls_insecure_set(True)
    connected = threading.Event()
    client.on_connect = lambda c, u, f, rc, p=None: connected.set()
    client.connect(host, port, keepalive=30)
    client.loop_start()
    try:
        if not connected.wait(TIMEOUT):
            raise HandlerFailed(f"mqtt: timed out connecting to {host}:{port}")
        info = client.publish(topic, payload, qos=qos, retain=retained)
        info.wait_for_publish(TIMEOUT)
        if not info.is_published():
            raise HandlerFailed(f"mqtt: message to {topic!r} was not acknowledged")
    finally:
        client.disconnect()
        client.loop_stop()


@dataclass
class Publish:
    """One message for one broker."""

    section: Any
    topic: str
    payload: bytes
    qos: int
    retained: bool

    async def send(self, env: HandlerEnv) -> None:
        try:
            await trio.to_thread.run_sync(
                publish,
                self.section,
                self.topic,
                self.payload,
                self.qos,
                self.retained,
                abandon_on_cancel=True,
            )
        except OSError as exc:
            raise HandlerFailed(f"mqtt: {exc}") from None


def request(o: Values, event: Event, ctx: Ctx) -> Publish:
    topic = o.render("topic", template_data(event))
    return Publish(ctx.section, topic, event.state.message.encode(), o["qos"], o["retained"])


define(
    Kind(
        "mqtt",
        TABLE,
        request,
        Tick("mqtt", "MQTTHandler", ("string",), ("topic",)),
        section="mqtt",
        section_key="name",
        select="broker-name",
        unknown='unknown MQTT broker "{which}"',
    )
)
