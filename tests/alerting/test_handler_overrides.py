"""A handler property called after the handler method replaces the method's argument."""

from __future__ import annotations

import json

import trio

from kapacitrio.alerting import levels
from kapacitrio.alerting.handlers.mqtt import MQTTConfig
from kapacitrio.pipeline.build import compile_task
from kapacitrio.pipeline.spec import HandlerSpec
from tests.alerting.conftest import make_event, settle
from tests.alerting.test_email_mqtt import mosquitto, subscribe  # noqa: F401 - fixture


def _handler(script_tail: str) -> HandlerSpec:
    """The first inline handler of `stream|from()|alert()<script_tail>`."""
    pipeline = compile_task(f"stream|from()|alert().crit(lambda: TRUE){script_tail}", "stream")
    (alert,) = [n for n in pipeline.nodes if n.kind == "alert"]
    return alert.props["handlers"][0]


def _unused_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_tcp_address_property_wins(service, tcp_receiver):
    spec = _handler(f".tcp('127.0.0.1:{_unused_port()}').address('{tcp_receiver.address}')")
    runners = service.attach_task_handlers(
        "t", [service.build_inline(spec.kind, spec.args, spec.props)]
    )
    service.handle_event("t", make_event(levels.CRITICAL))
    await settle(service)
    (line,) = await tcp_receiver.wait_for(1)
    assert json.loads(line)["level"] == "CRITICAL"
    assert runners[0].stats["delivered"] == 1


async def test_tcp_argument_alone_still_works(service, tcp_receiver):
    spec = _handler(f".tcp('{tcp_receiver.address}')")
    service.attach_task_handlers("t", [service.build_inline(spec.kind, spec.args, spec.props)])
    service.handle_event("t", make_event(levels.WARNING))
    await settle(service)
    (line,) = await tcp_receiver.wait_for(1)
    assert json.loads(line)["level"] == "WARNING"


async def test_mqtt_topic_property_wins(service, sections, mosquitto):  # noqa: F811
    sections["mqtt"] = [MQTTConfig(enabled=True, name="local", url=f"tcp://127.0.0.1:{mosquitto}")]
    spec = _handler(".mqtt('alerts/first').topic('alerts/second').qos(1)")
    client, got = subscribe(mosquitto, "alerts/#")
    try:
        h = service.build_inline(spec.kind, spec.args, spec.props)
        runners = service.attach_task_handlers("t", [h])
        service.handle_event("t", make_event(levels.WARNING, message="cpu is WARNING"))
        await settle(service)
        assert runners[0].stats["delivered"] == 1
        with trio.fail_after(10):
            while not got:
                await trio.sleep(0.01)
        assert got[0][:2] == ("alerts/second", b"cpu is WARNING")
    finally:
        client.loop_stop()
        client.disconnect()
