"""The `mqtt` handler: publishes the alert message to an MQTT topic on a configured broker."""

from __future__ import annotations

import threading
import urllib.parse
from dataclasses import dataclass
from typing import Any

import trio

from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import register
from kapacitrio.alerting.handlers.base import (
    Handler,
    HandlerEnv,
    HandlerFailed,
    HandlerOptionError,
    opt_bool,
    opt_int,
    opt_str,
    section_field,
    tick_arg,
)
from kapacitrio.alerting.handlers.services_common import enabled_section
from kapacitrio.config import section

TIMEOUT = 10.0


@section("mqtt", many=True)
@dataclass
class MQTTConfig:
    """`[[mqtt]]`: one MQTT broker."""

    enabled: bool = False
    name: str = ""
    default: bool = False
    url: str = "tcp://localhost:1883"
    ssl_ca: str = ""
    ssl_cert: str = ""
    ssl_key: str = ""
    insecure_skip_verify: bool = False
    client_id: str = ""
    username: str = ""
    password: str = ""

    SECRETS = ("password",)


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


class MQTTHandler(Handler):
    def __init__(self, options: dict[str, Any], env: HandlerEnv) -> None:
        self.env = env
        self.broker = opt_str(options, "broker-name")
        self.topic = opt_str(options, "topic")
        self.qos = opt_int(options, "qos", 0)
        self.retained = opt_bool(options, "retained")
        if not self.topic:
            raise HandlerOptionError("mqtt handler requires a topic")
        if self.qos not in (0, 1, 2):
            raise HandlerOptionError(f"invalid QoS level {self.qos}: must be 0, 1 or 2")

    async def handle(self, event: Event) -> None:
        sec = enabled_section(self.env, "mqtt", "name", self.broker)
        try:
            await trio.to_thread.run_sync(
                publish,
                sec,
                self.topic,
                event.state.message.encode(),
                self.qos,
                self.retained,
                abandon_on_cancel=True,
            )
        except OSError as exc:
            raise HandlerFailed(f"mqtt: {exc}") from None


def _from_tick(args: list[Any], props: dict[str, Any]) -> dict[str, Any]:
    return {
        "topic": tick_arg(args, props, "topic"),
        "broker-name": props.get("brokerName", ""),
        "qos": int(props.get("qos") or 0),
        "retained": bool(props.get("retained")),
    }


register("mqtt", MQTTHandler, _from_tick)
