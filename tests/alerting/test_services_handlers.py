"""HTTP-API handler kinds (pagerduty2, opsgenie2, victorops, teams, discord, telegram, pushover,
alerta, servicenow, bigpanda), sensu over TCP and snmptrap over UDP, against local receivers."""

from __future__ import annotations

import json
import urllib.parse

import pytest
import trio

from kapacitrio.alerting import levels
from kapacitrio.alerting.handlers.base import HandlerOptionError
from kapacitrio.alerting.handlers.pagerduty2 import PagerDuty2Config
from kapacitrio.alerting.handlers.pushover import PushoverConfig
from kapacitrio.alerting.handlers.sensu import SensuConfig
from kapacitrio.alerting.handlers.snmptrap import SNMPTrapConfig
from kapacitrio.alerting.handlers.telegram import TelegramConfig
from kapacitrio.alerting.handlers.victorops import VictorOpsConfig
from tests.alerting.conftest import make_event, settle


async def send(service, method, props, *events, args=()):
    runners = service.attach_task_handlers(
        method, [service.build_inline(method, list(args), props)]
    )
    for e in events:
        service.handle_event(method, e)
    await settle(service)
    return runners[0]


async def test_telegram(service, sections, receiver):
    sections["telegram"] = TelegramConfig(
        enabled=True, url=f"{receiver.url}/bot", token="TOK", chat_id="1"
    )
    props = {"chatId": "42", "parseMode": "Markdown", "disableNotification": True}
    await send(service, "telegram", props, make_event())
    (req,) = receiver.requests
    assert req.path == "/botTOK/sendMessage"
    assert req.json() == {
        "chat_id": "42",
        "text": "cpu:nil is CRITICAL",
        "parse_mode": "Markdown",
        "disable_notification": True,
    }


async def test_pushover_form(service, sections, receiver):
    sections["pushover"] = PushoverConfig(
        enabled=True, token="t", user_key="u", url=f"{receiver.url}/p"
    )
    await send(service, "pushover", {"title": "hi", "sound": "siren"}, make_event(levels.INFO))
    (req,) = receiver.requests
    form = dict(urllib.parse.parse_qsl(req.body.decode()))
    assert form == {
        "token": "t",
        "user": "u",
        "message": "cpu:nil is INFO",
        "title": "hi",
        "sound": "siren",
        "priority": "-1",
    }


@pytest.mark.parametrize(
    "method,section,cfg",
    [
        ("pagerDuty2", "pagerduty2", PagerDuty2Config),
        ("telegram", "telegram", TelegramConfig),
        ("victorOps", "victorops", VictorOpsConfig),
    ],
)
async def test_disabled_services_fail_and_are_counted(service, sections, method, section, cfg):
    sections[section] = cfg(enabled=False)
    runner = await send(service, method, {}, make_event())
    assert runner.stats["errors"] == 1


async def test_sensu_over_tcp(service, sections, tcp_receiver):
    sections["sensu"] = SensuConfig(enabled=True, addr=tcp_receiver.address, handlers=["default"])
    await send(
        service, "sensu", {"metadata": {"team": "ops"}}, make_event(levels.WARNING, id="cpu.a")
    )
    (line,) = await tcp_receiver.wait_for(1)
    assert json.loads(line) == {
        "name": "cpu.a",
        "source": "Kapacitor",
        "output": "cpu.a is WARNING",
        "status": 1,
        "handlers": ["default"],
        "team": "ops",
    }


async def test_sensu_rejects_invalid_names(service, sections, tcp_receiver):
    sections["sensu"] = SensuConfig(enabled=True, addr=tcp_receiver.address)
    runner = await send(service, "sensu", {}, make_event(id="cpu:nil"))
    assert runner.stats["errors"] == 1


def decode(data: bytes):
    """A small BER decoder: (tag, value) with constructed types decoded recursively."""
    out = []
    i = 0
    while i < len(data):
        tag = data[i]
        n = data[i + 1]
        i += 2
        if n & 0x80:
            k = n & 0x7F
            n = int.from_bytes(data[i : i + k], "big")
            i += k
        body = data[i : i + n]
        i += n
        if tag in (0x30, 0xA7):
            out.append((tag, decode(body)))
        elif tag == 0x06:
            first, rest = divmod(body[0], 40)
            parts, v = [first, rest], 0
            for b in body[1:]:
                v = (v << 7) | (b & 0x7F)
                if not b & 0x80:
                    parts.append(v)
                    v = 0
            out.append((tag, ".".join(map(str, parts))))
        elif tag in (0x02,):
            out.append((tag, int.from_bytes(body, "big", signed=True)))
        elif tag in (0x41, 0x42, 0x43, 0x46):
            out.append((tag, int.from_bytes(body, "big")))
        else:
            out.append((tag, body))
    return out


async def test_snmptrap_over_udp(service, sections):
    sock = trio.socket.socket(type=trio.socket.SOCK_DGRAM)
    await sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sections["snmptrap"] = SNMPTrapConfig(enabled=True, addr=f"127.0.0.1:{port}", community="pub")
    props = {
        "data": [
            {"oid": "1.3.6.1.4.1.1.1", "type": "s", "value": "{{ .Message }}"},
            {"oid": "1.3.6.1.4.1.1.2", "type": "i", "value": "-5"},
            {"oid": "1.3.6.1.4.1.1.3", "type": "c", "value": "300"},
            {"oid": "1.3.6.1.4.1.1.4", "type": "a", "value": "10.0.0.1"},
        ]
    }
    runner = await send(
        service, "snmpTrap", props, make_event(levels.CRITICAL), args=["1.3.6.1.4.1.1.0"]
    )
    assert runner.stats["delivered"] == 1
    with trio.fail_after(5):
        data, _ = await sock.recvfrom(65536)
    sock.close()
    ((_, msg),) = decode(data)
    (_, version), (_, community), (pdu_tag, pdu) = msg
    assert (version, community, pdu_tag) == (1, b"pub", 0xA7)
    binds = [[v for _, v in vb] for _, vb in pdu[3][1]]
    assert binds[0] == ["1.3.6.1.2.1.1.3.0", 1000]  # Kapacitor's fixed sysUpTime
    assert [t for t, _ in pdu[3][1][0][1]] == [0x06, 0x43]  # TimeTicks
    assert binds[1] == ["1.3.6.1.6.3.1.1.4.1.0", "1.3.6.1.4.1.1.0"]
    assert pdu[3][1][4][1][1][0] == 0x46  # type c is a Counter64
    assert binds[2:] == [
        ["1.3.6.1.4.1.1.1", b"cpu:nil is CRITICAL"],
        ["1.3.6.1.4.1.1.2", -5],
        ["1.3.6.1.4.1.1.3", 300],
        ["1.3.6.1.4.1.1.4", bytes([10, 0, 0, 1])],
    ]


@pytest.mark.parametrize(
    "method,args,props,message",
    [
        ("snmpTrap", ["not-an-oid"], {}, "invalid OID"),
        (
            "snmpTrap",
            ["1.3.6"],
            {"data": [{"oid": "1.3", "type": "z", "value": ""}]},
            "invalid SNMP trap data type",
        ),
        ("telegram", [], {"parseMode": "rtf"}, "invalid parse mode"),
        ("opsGenie2", [], {"recoveryAction": "explode"}, "invalid recovery action"),
        ("alerta", [], {"resource": "{{ .X "}, "unclosed action"),
    ],
)
async def test_invalid_handler_options(service, method, args, props, message):
    with pytest.raises(HandlerOptionError, match=message):
        service.build_inline(method, args, props)


async def test_talk_hipchat_zenoss(service, sections, receiver):
    from kapacitrio.alerting.handlers.hipchat import HipChatConfig
    from kapacitrio.alerting.handlers.talk import TalkConfig

    sections["talk"] = TalkConfig(enabled=True, url=f"{receiver.url}/talk")
    sections["hipchat"] = HipChatConfig(
        enabled=True, url=f"{receiver.url}/hc", room="ops", token="t"
    )
    await send(service, "talk", {}, make_event(levels.WARNING))
    await send(service, "hipChat", {}, make_event(levels.WARNING))
    talk, hc = receiver.requests
    assert talk.json() == {
        "title": "cpu:nil",
        "text": "cpu:nil is WARNING",
        "authorName": "Kapacitor",
    }
    assert hc.path == "/hc/ops/notification?auth_token=t"
    assert hc.json() == {
        "from": "kapacitor",
        "message": "cpu:nil is WARNING",
        "color": "yellow",
        "notify": True,
    }
