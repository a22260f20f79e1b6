"""HTTP-API handler kinds (pagerduty2, opsgenie2, victorops, teams, discord, telegram, pushover,
alerta, servicenow, bigpanda), sensu over TCP and snmptrap over UDP, against local receivers."""

from __future__ import annotations

import json
import urllib.parse

import pytest
import trio

from kapacitrio.alerting import levels
from kapacitrio.alerting.handlers.alerta import AlertaConfig
from kapacitrio.alerting.handlers.base import HandlerOptionError
from kapacitrio.alerting.handlers.bigpanda import BigPandaConfig
from kapacitrio.alerting.handlers.discord import DiscordConfig
from kapacitrio.alerting.handlers.opsgenie2 import OpsGenie2Config
from kapacitrio.alerting.handlers.pagerduty2 import PagerDuty2Config
from kapacitrio.alerting.handlers.pushover import PushoverConfig
from kapacitrio.alerting.handlers.sensu import SensuConfig
from kapacitrio.alerting.handlers.servicenow import ServiceNowConfig
from kapacitrio.alerting.handlers.snmptrap import SNMPTrapConfig
from kapacitrio.alerting.handlers.teams import TeamsConfig
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


async def test_pagerduty2(service, sections, receiver):
    sections["pagerduty2"] = PagerDuty2Config(
        enabled=True, url=f"{receiver.url}/pd", routing_key="cfg"
    )
    props = {"routingKey": "rk", "links": [{"href": "http://l", "text": "L"}]}
    await send(
        service,
        "pagerDuty2",
        props,
        make_event(levels.WARNING, tags={"host": "h1"}),
        make_event(levels.OK),
    )
    first, second = (r.json() for r in receiver.requests)
    assert first["routing_key"] == "rk"
    assert first["event_action"] == "trigger"
    assert first["dedup_key"] == "cpu:nil"
    assert first["payload"] == {
        "summary": "cpu:nil is WARNING",
        "source": "h1",
        "severity": "warning",
        "timestamp": "1971-01-01T00:00:00Z",
        "class": "task",
        "custom_details": {"result": make_event(tags={"host": "h1"}).data.result},
    }
    assert first["links"] == [{"href": "http://l", "text": "L"}]
    assert first["client"] == "kapacitor"
    assert second["event_action"] == "resolve"
    assert second["payload"]["source"] == "unknown"
    assert second["payload"]["severity"] == "info"


async def test_opsgenie2_create_and_close(service, sections, receiver):
    sections["opsgenie2"] = OpsGenie2Config(
        enabled=True, api_key="k", url=f"{receiver.url}/v2/alerts"
    )
    props = {"teams": ["ops"], "recipients": ["bob"], "recoveryAction": "close"}
    await send(
        service,
        "opsGenie2",
        props,
        make_event(levels.CRITICAL, id="a b"),
        make_event(levels.OK, id="a b"),
    )
    create, close = receiver.requests
    assert create.path == "/v2/alerts"
    assert create.headers["authorization"] == "GenieKey k"
    body = create.json()
    assert (body["alias"], body["entity"], body["priority"]) == ("a b", "a b", "P1")
    assert body["responders"] == [
        {"type": "team", "name": "ops"},
        {"type": "user", "username": "bob"},
    ]
    assert json.loads(body["description"]) == make_event().data.result
    assert close.path == "/v2/alerts/a%20b/close?identifierType=alias"
    assert close.json() == {"note": "a b is OK"}


async def test_victorops(service, sections, receiver):
    sections["victorops"] = VictorOpsConfig(enabled=True, api_key="api", url=f"{receiver.url}/vo")
    await send(
        service,
        "victorOps",
        {"routingKey": "team"},
        make_event(levels.CRITICAL),
        make_event(levels.OK),
    )
    crit, ok = receiver.requests
    assert crit.path == "/vo/api/team"
    assert crit.json()["message_type"] == "CRITICAL"
    assert crit.json()["timestamp"] == 31536000
    assert crit.json()["monitoring_tool"] == "kapacitor"
    assert json.loads(crit.json()["data"]) == make_event().data.result
    assert ok.json()["message_type"] == "RECOVERY"


async def test_teams(service, sections, receiver):
    sections["teams"] = TeamsConfig(enabled=True, channel_url=f"{receiver.url}/cfg")
    await send(service, "teams", {"channelURL": f"{receiver.url}/node"}, make_event(levels.WARNING))
    (req,) = receiver.requests
    assert req.path == "/node"
    card = req.json()
    assert card["@type"] == "MessageCard"
    assert card["title"] == "cpu:nil"
    assert card["summary"] == "cpu:nil is WARNING"
    assert card["themeColor"] == "FFA500"


async def test_discord(service, sections, receiver):
    sections["discord"] = [DiscordConfig(enabled=True, url=f"{receiver.url}/d", timestamp=True)]
    await send(
        service, "discord", {"embedTitle": "T", "username": "u"}, make_event(levels.CRITICAL)
    )
    body = receiver.requests[0].json()
    assert body["username"] == "u"
    (embed,) = body["embeds"]
    assert embed["title"] == "T"
    assert embed["description"] == "cpu:nil is CRITICAL"
    assert embed["timestamp"] == "1971-01-01T00:00:00Z"


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


async def test_alerta(service, sections, receiver):
    sections["alerta"] = AlertaConfig(
        enabled=True, url=receiver.url, token="tk", environment="prod"
    )
    props = {"resource": '{{ index .Tags "host" }}', "services": ["web"], "attributes": {"a": 1}}
    await send(service, "alerta", props, make_event(levels.WARNING, tags={"host": "h"}))
    (req,) = receiver.requests
    assert req.path == "/alert"
    assert req.headers["authorization"] == "Bearer tk"
    body = req.json()
    assert (body["resource"], body["event"], body["environment"]) == ("h", "cpu:nil", "prod")
    assert (body["severity"], body["origin"], body["service"]) == ("warning", "kapacitor", ["web"])
    assert body["attributes"] == {"a": 1}


async def test_servicenow(service, sections, receiver):
    sections["servicenow"] = ServiceNowConfig(
        enabled=True, url=f"{receiver.url}/sn", username="u", password="p"
    )
    props = {"node": '{{ index .Tags "host" }}', "additionalInfo": {"k": "v"}}
    await send(service, "serviceNow", props, make_event(levels.WARNING, tags={"host": "h"}))
    (req,) = receiver.requests
    assert req.headers["authorization"] == "Basic dTpw"
    (record,) = req.json()["records"]
    assert record["node"] == "h"
    assert record["severity"] == "4"
    assert record["message_key"] == "cpu:nil"
    assert record["source"] == "Kapacitor"
    assert record["additional_info"] == {"k": "v"}


async def test_bigpanda(service, sections, receiver):
    sections["bigpanda"] = BigPandaConfig(
        enabled=True, url=f"{receiver.url}/bp", app_key="app", token="tok"
    )
    await send(
        service,
        "bigPanda",
        {"primaryProperty": "host"},
        make_event(levels.CRITICAL, tags={"host": "h"}),
    )
    (req,) = receiver.requests
    assert req.headers["authorization"] == "Bearer tok"
    body = req.json()
    assert (body["app_key"], body["status"], body["host"], body["check"]) == (
        "app",
        "critical",
        "h",
        "cpu:nil",
    )
    assert body["value"] == 97.1  # fields as attributes
    assert body["primary_property"] == "host"


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
        elif tag in (0x41, 0x42, 0x43):
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
    assert binds[1] == ["1.3.6.1.6.3.1.1.4.1.0", "1.3.6.1.4.1.1.0"]
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


async def test_pagerduty_v1(service, sections, receiver):
    from kapacitrio.alerting.handlers.pagerduty import PagerDutyConfig

    sections["pagerduty"] = PagerDutyConfig(
        enabled=True, service_key="sk", url=f"{receiver.url}/pd1"
    )
    runner = await send(
        service,
        "pagerDuty",
        {},
        make_event(levels.CRITICAL),
        make_event(levels.INFO),
        make_event(levels.OK),
    )
    trigger, resolve = (r.json() for r in receiver.requests)
    assert (trigger["service_key"], trigger["event_type"], trigger["incident_key"]) == (
        "sk",
        "trigger",
        "cpu:nil",
    )
    assert trigger["details"]["level"] == "CRITICAL"
    assert resolve["event_type"] == "resolve"
    assert runner.stats["errors"] == 1  # INFO is refused


async def test_opsgenie_v1(service, sections, receiver):
    from kapacitrio.alerting.handlers.opsgenie import OpsGenieConfig

    sections["opsgenie"] = OpsGenieConfig(
        enabled=True, api_key="k", url=f"{receiver.url}/alert", recovery_url=f"{receiver.url}/note"
    )
    await send(
        service, "opsGenie", {"teams": ["t"]}, make_event(levels.WARNING), make_event(levels.OK)
    )
    create, note = receiver.requests
    assert create.path == "/alert" and create.json()["teams"] == ["t"]
    assert note.path == "/note" and note.json() == {
        "apiKey": "k",
        "alias": "cpu:nil",
        "note": "cpu:nil is OK",
    }


async def test_talk_hipchat_zenoss(service, sections, receiver):
    from kapacitrio.alerting.handlers.hipchat import HipChatConfig
    from kapacitrio.alerting.handlers.talk import TalkConfig
    from kapacitrio.alerting.handlers.zenoss import ZenossConfig

    sections["talk"] = TalkConfig(enabled=True, url=f"{receiver.url}/talk")
    sections["hipchat"] = HipChatConfig(
        enabled=True, url=f"{receiver.url}/hc", room="ops", token="t"
    )
    sections["zenoss"] = ZenossConfig(
        enabled=True, url=f"{receiver.url}/zen", username="u", password="p"
    )
    await send(service, "talk", {}, make_event(levels.WARNING))
    await send(service, "hipChat", {}, make_event(levels.WARNING))
    await send(
        service, "zenoss", {"component": "{{ .Name }}"}, make_event(levels.OK, tags={"host": "h"})
    )
    talk, hc, zen = receiver.requests
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
    body = zen.json()
    assert (body["action"], body["method"], body["type"], body["tid"]) == (
        "EventsRouter",
        "add_event",
        "rpc",
        1,
    )
    (record,) = body["data"]
    assert (record["device"], record["component"], record["severity"]) == ("h", "cpu", "Clear")


async def test_kafka_is_accepted_but_fails_clearly(service):
    runner = await send(service, "kafka", {"kafkaTopic": "t"}, make_event())
    assert runner.stats["errors"] == 1
