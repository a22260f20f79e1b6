"""Whole requests of each handler kind, inline (compiled TICKscript) and as a topic handler.

The event is the one Kapacitor's TestServer_AlertHandlers sends (id `id`, message `message`,
details `details`, time 0, CRITICAL, measurement `alert`, task `testAlertHandlers`) and the
expected requests are what its fake receivers expect, key by key (JSON compared as JSON).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event, EventData, EventState
from kapacitrio.alerting.handlers.alerta import AlertaConfig
from kapacitrio.alerting.handlers.bigpanda import BigPandaConfig
from kapacitrio.alerting.handlers.discord import DiscordConfig
from kapacitrio.alerting.handlers.opsgenie import OpsGenieConfig
from kapacitrio.alerting.handlers.opsgenie2 import OpsGenie2Config
from kapacitrio.alerting.handlers.pagerduty import PagerDutyConfig
from kapacitrio.alerting.handlers.pagerduty2 import PagerDuty2Config
from kapacitrio.alerting.handlers.servicenow import ServiceNowConfig
from kapacitrio.alerting.handlers.teams import TeamsConfig
from kapacitrio.alerting.handlers.victorops import VictorOpsConfig
from kapacitrio.alerting.handlers.zenoss import ZenossConfig
from kapacitrio.pipeline.build import compile_task
from tests.alerting.conftest import settle

TASK = "testAlertHandlers"
RESULT = {
    "series": [
        {"name": "alert", "columns": ["time", "value"], "values": [["1970-01-01T00:00:00Z", 1.0]]}
    ]
}
RESULT_JSON = (
    '{"series":[{"name":"alert","columns":["time","value"],"values":[["1970-01-01T00:00:00Z",1]]}]}'
)
HOW = ["inline", "topic"]


def kapacitor_event(level: int = levels.CRITICAL, **state: Any) -> Event:
    st = EventState(
        state.get("id", "id"),
        state.get("message", "message"),
        state.get("details", "details"),
        state.get("time", 0),
        0,
        level,
    )
    data = EventData(
        name="alert",
        task_name=TASK,
        group="nil",
        tags=dict(state.get("tags", {})),
        fields={"value": 1.0},
        result=json.loads(json.dumps(RESULT)),
    )
    return Event("test", st, data)


def tick_handler(snippet: str) -> tuple[str, list[Any], dict[str, Any]]:
    """The (method, args, props) the pipeline builds for `|alert()<snippet>`."""
    script = f"stream\n    |from()\n    |alert()\n        .crit(lambda: TRUE)\n{snippet}\n"
    pipeline = compile_task(script, "stream")
    (node,) = [n for n in pipeline.nodes if n.kind == "alert"]
    (h,) = node.props["handlers"]
    return h.kind, h.args, h.props


async def deliver(service, how: str, snippet: str, kind: str, options: dict, *events: Event):
    """Send `events` through the handler built one way or the other; returns its runner."""
    if how == "inline":
        method, args, props = tick_handler(snippet)
        (runner,) = service.attach_task_handlers(
            "test", [service.build_inline(method, args, props)]
        )
    else:
        await service.create_handler("test", {"id": "h", "kind": kind, "options": options})
        runner = service.topics["test"].handlers["h"]
    for e in events or (kapacitor_event(),):
        service.handle_event("test", e)
    await settle(service)
    return runner


def assert_request(req, method: str, path: str, body: Any, headers: dict | None = None) -> None:
    assert (req.method, req.path) == (method, path)
    assert req.json() == body
    assert req.headers["content-type"].startswith("application/json")
    for name, value in (headers or {}).items():
        assert req.headers[name.lower()] == value


# ---------------------------------------------------------------------------------- teams


@pytest.mark.parametrize("how", HOW)
async def test_teams_card(service, sections, receiver, how):
    sections["teams"] = TeamsConfig(enabled=True, channel_url=f"{receiver.url}/cfg")
    await deliver(service, how, "        .teams()", "teams", {})
    (req,) = receiver.requests
    assert_request(
        req,
        "POST",
        "/cfg",
        {
            "@type": "MessageCard",
            "@context": "http://schema.org/extensions",
            "title": "CRITICAL: [id]",
            "text": "message",
            "summary": "CRITICAL: [id] - message...",
            "themeColor": "CC4A31",
        },
    )


async def test_teams_channel_url_option_summary_cutoff_and_colours(service, sections, receiver):
    sections["teams"] = TeamsConfig(enabled=True, channel_url=f"{receiver.url}/cfg")
    long = "x" * 100
    events = [
        kapacitor_event(levels.WARNING, message=long),
        kapacitor_event(levels.OK),
        kapacitor_event(levels.INFO, id=""),
    ]
    await deliver(service, "topic", "", "teams", {"channel-url": f"{receiver.url}/opt"}, *events)
    warn, ok, info = (r.json() for r in receiver.requests)
    assert {r.path for r in receiver.requests} == {"/opt"}
    assert warn["themeColor"] == "FFA533" and ok["themeColor"] == "34CC25"
    assert warn["summary"] == ("WARNING: [id] - " + long)[:70] + "..."
    assert info["title"] == "INFO: [test]"  # no ID: the topic names the card


# ---------------------------------------------------------------------------------- discord


@pytest.mark.parametrize("how", HOW)
async def test_discord_embed(service, sections, receiver, how):
    sections["discord"] = [DiscordConfig(enabled=True, url=f"{receiver.url}/test/discord/url")]
    avatar = "https://example.com/logo.png"
    snippet = (
        f"        .discord().username('Kapacitor').avatarUrl('{avatar}')"
        ".embedTitle('Kapacitor Alert')"
    )
    options = {"username": "Kapacitor", "avatar-url": avatar, "embed-title": "Kapacitor Alert"}
    await deliver(service, how, snippet, "discord", options)
    (req,) = receiver.requests
    assert_request(
        req,
        "POST",
        "/test/discord/url",
        {
            "username": "Kapacitor",
            "avatar_url": avatar,
            "embeds": [
                {
                    "color": 0xF95F53,
                    "title": "Kapacitor Alert",
                    "timestamp": "",
                    "description": "message",
                }
            ],
        },
    )


async def test_discord_colours_timestamp_and_no_optional_keys(service, sections, receiver):
    sections["discord"] = [DiscordConfig(enabled=True, url=f"{receiver.url}/d")]
    events = [
        kapacitor_event(levels.WARNING, time=31536000_500000000),
        kapacitor_event(levels.OK),
    ]
    await deliver(service, "topic", "", "discord", {"timestamp": True}, *events)
    warn, ok = (r.json() for r in receiver.requests)
    assert warn == {
        "embeds": [
            {
                "color": 0xF48D38,
                "title": "",
                "timestamp": "1971-01-01T00:00:00Z",
                "description": "message",
            }
        ]
    }
    assert ok["embeds"][0]["color"] == 0x7A65F2


# ---------------------------------------------------------------------------------- pagerduty


@pytest.mark.parametrize("how", HOW)
async def test_pagerduty_v1(service, sections, receiver, how):
    sections["pagerduty"] = PagerDutyConfig(enabled=True, url=f"{receiver.url}/", service_key="c")
    await deliver(
        service, how, "        .pagerDuty().serviceKey('service_key')", "pagerduty",
        {"service-key": "service_key"},
    )  # fmt: skip
    (req,) = receiver.requests
    assert_request(
        req,
        "POST",
        "/",
        {
            "service_key": "service_key",
            "event_type": "trigger",
            "description": "message",
            "incident_key": "id",
            "client": "kapacitor",
            "client_url": "http://localhost:9092/kapacitor/v1",
            "details": "details",
        },
    )


async def test_pagerduty_v1_resolve_and_info_refused(service, sections, receiver):
    sections["pagerduty"] = PagerDutyConfig(enabled=True, url=f"{receiver.url}/", service_key="c")
    runner = await deliver(
        service, "topic", "", "pagerduty", {},
        kapacitor_event(levels.INFO), kapacitor_event(levels.OK),
    )  # fmt: skip
    (req,) = receiver.requests
    assert req.json()["event_type"] == "resolve" and req.json()["service_key"] == "c"
    assert runner.stats["errors"] == 1


PD2_EXPECTED = {
    "client": "kapacitor",
    "client_url": "http://localhost:9092/kapacitor/v1",
    "event_action": "trigger",
    "dedup_key": "id",
    "payload": {
        "summary": "message",
        "source": "unknown",
        "severity": "critical",
        "class": TASK,
        "custom_details": {"result": RESULT},
        "timestamp": "1970-01-01T00:00:00.000000000Z",
    },
    "routing_key": "rkey",
    "links": [
        {"href": "http://example.com", "text": "t1"},
        {"href": f"http://example.com/{TASK}", "text": "t2"},
    ],
}


@pytest.mark.parametrize("how", HOW)
async def test_pagerduty2(service, sections, receiver, how):
    sections["pagerduty2"] = PagerDuty2Config(enabled=True, url=f"{receiver.url}/")
    snippet = (
        "        .pagerDuty2().routingKey('rkey').link('http://example.com', 't1')"
        ".link('http://example.com/{{.TaskName}}', 't2')"
    )
    options = {
        "routing-key": "rkey",
        "links": [
            {"href": "http://example.com", "text": "t1"},
            {"href": "http://example.com/{{.TaskName}}", "text": "t2"},
        ],
    }
    await deliver(service, how, snippet, "pagerduty2", options)
    (req,) = receiver.requests
    assert_request(req, "POST", "/", PD2_EXPECTED)


async def test_pagerduty2_service_key_link_text_and_resolve(service, sections, receiver):
    sections["pagerduty2"] = PagerDuty2Config(
        enabled=True, url=f"{receiver.url}/", routing_key="cfg"
    )
    snippet = "        .pagerDuty2().serviceKey('override').link('http://h/{{ .ID }}')"
    event = kapacitor_event(tags={"host": "serverA"}, time=10_000_000_123)
    await deliver(service, "inline", snippet, "", {}, event, kapacitor_event(levels.OK))
    trigger, resolve = (r.json() for r in receiver.requests)
    assert trigger["routing_key"] == "override"
    assert trigger["links"] == [{"href": "http://h/id", "text": "http://h/id"}]
    assert trigger["payload"]["source"] == "serverA"
    assert trigger["payload"]["timestamp"] == "1970-01-01T00:00:10.000000123Z"
    assert resolve["event_action"] == "resolve" and resolve["payload"]["severity"] == "info"
    assert resolve["routing_key"] == "override"


# ---------------------------------------------------------------------------------- opsgenie


@pytest.mark.parametrize("how", HOW)
async def test_opsgenie_v1(service, sections, receiver, how):
    sections["opsgenie"] = OpsGenieConfig(enabled=True, url=receiver.url, api_key="api_key")
    snippet = "        .opsGenie().teams('A team', 'B team').recipients('r1', 'r2')"
    options = {"teams-list": ["A team", "B team"], "recipients-list": ["r1", "r2"]}
    await deliver(service, how, snippet, "opsgenie", options)
    (req,) = receiver.requests
    assert_request(
        req,
        "POST",
        "/",
        {
            "apiKey": "api_key",
            "message": "message",
            "entity": "id",
            "alias": "id",
            "note": "",
            "details": {"Level": "CRITICAL", "Monitoring Tool": "Kapacitor"},
            "description": RESULT_JSON,
            "teams": ["A team", "B team"],
            "recipients": ["r1", "r2"],
        },
    )
    assert json.loads(req.json()["description"]) == RESULT


OG2_EXPECTED = {
    "message": "message",
    "entity": "id",
    "alias": "aWQ=",
    "note": "",
    "priority": "P1",
    "details": {
        "Level": "CRITICAL",
        "Monitoring Tool": "Kapacitor",
        "Kapacitor Task Name": "alert",
    },
    "description": RESULT_JSON,
    "responders": [
        {"name": "A team", "type": "team"},
        {"name": "B team", "type": "team"},
        {"username": "r1", "type": "user"},
        {"username": "r2", "type": "user"},
    ],
}


@pytest.mark.parametrize("how", HOW)
async def test_opsgenie2(service, sections, receiver, how):
    sections["opsgenie2"] = OpsGenie2Config(
        enabled=True, url=f"{receiver.url}/", api_key="api_key", recovery_action="notes"
    )
    snippet = "        .opsGenie2().teams('A team', 'B team').recipients('r1', 'r2')"
    options = {"teams-list": ["A team", "B team"], "recipients-list": ["r1", "r2"]}
    await deliver(service, how, snippet, "opsgenie2", options)
    (req,) = receiver.requests
    assert_request(req, "POST", "/", OG2_EXPECTED, {"Authorization": "GenieKey api_key"})


async def test_opsgenie2_alias_tags_and_recovery_notes(service, sections, receiver):
    sections["opsgenie2"] = OpsGenie2Config(
        enabled=True, url=f"{receiver.url}/v2/alerts", api_key="k"
    )
    event_id = "kapacitor/cpu/serverA"
    crit = kapacitor_event(id=event_id)
    crit.data.result["series"][0]["tags"] = {"host": "serverA"}
    ok = kapacitor_event(levels.OK, id=event_id, message="kapacitor/cpu/serverA is OK")
    await deliver(service, "inline", "        .opsGenie2().teams('t')", "", {}, crit, ok)
    create, note = receiver.requests
    alias = base64.urlsafe_b64encode(event_id.encode()).decode()
    assert alias == "a2FwYWNpdG9yL2NwdS9zZXJ2ZXJB"
    assert create.json()["alias"] == alias
    assert create.json()["details"] == {
        "Level": "CRITICAL",
        "Monitoring Tool": "Kapacitor",
        "Kapacitor Task Name": "alert",
        "host": "serverA",
    }
    assert note.path == f"/v2/alerts/{alias}/notes?identifierType=alias"
    assert note.json() == {"note": "kapacitor/cpu/serverA is OK"}


# ---------------------------------------------------------------------------------- bigpanda


@pytest.mark.parametrize("how", HOW)
async def test_bigpanda(service, sections, receiver, how):
    sections["bigpanda"] = BigPandaConfig(
        enabled=True,
        token="my-token-123",
        app_key="my-app-key",
        url=f"{receiver.url}/test/bigpanda/alert",
        auto_attributes="",
    )
    snippet = "        .bigPanda().appKey('my-app-key-123456')"
    await deliver(service, how, snippet, "bigpanda", {"app-key": "my-app-key-123456"})
    (req,) = receiver.requests
    assert_request(
        req,
        "POST",
        "/test/bigpanda/alert",
        {
            "app_key": "my-app-key-123456",
            "check": "id",
            "status": "critical",
            "timestamp": 0,
            "task": f"{TASK}:alert",
            "description": "message",
            "details": "details",
        },
        {"Authorization": "Bearer my-token-123"},
    )


async def test_bigpanda_host_attributes_templates_and_json_details(service, sections, receiver):
    sections["bigpanda"] = BigPandaConfig(
        enabled=True, token="t", app_key="k", url=f"{receiver.url}/bp"
    )
    snippet = (
        "        .bigPanda().host('{{ index .Tags \"host\" }}').primaryProperty('host')"
        ".secondaryProperty('check').attribute('runbook', 'http://rb/{{ .TaskName }}')"
    )
    event = kapacitor_event(tags={"host": "serverA"}, details='{"json": "details"}')
    await deliver(service, "inline", snippet, "", {}, event)
    (req,) = receiver.requests
    assert req.json() == {
        "app_key": "k",
        "check": "id",
        "status": "critical",
        "timestamp": 0,
        "task": f"{TASK}:alert",
        "description": "message",
        "host": "serverA",
        "primary_property": "host",
        "secondary_property": "check",
        "runbook": f"http://rb/{TASK}",
        "value": 1.0,
    }


# ---------------------------------------------------------------------------------- alerta


@pytest.mark.parametrize("how", HOW)
async def test_alerta(service, sections, receiver, how):
    sections["alerta"] = AlertaConfig(enabled=True, url=receiver.url)
    snippet = (
        "        .alerta().token('testtoken1234567').tokenPrefix('Bearer').origin('kapacitor')"
        ".group('test').environment('env').timeout(24h)"
    )
    options = {
        "token": "testtoken1234567",
        "token-prefix": "Bearer",
        "origin": "kapacitor",
        "group": "test",
        "environment": "env",
        "timeout": 24 * 3600 * 10**9,
    }
    await deliver(service, how, snippet, "alerta", options)
    (req,) = receiver.requests
    assert_request(
        req,
        "POST",
        "/alert",
        {
            "resource": "alert",
            "event": "id",
            "environment": "env",
            "severity": "critical",
            "group": "test",
            "value": "",
            "text": "message",
            "origin": "kapacitor",
            "rawData": RESULT,
            "service": ["alert"],
            "correlate": ["alert"],
            "timeout": 86400,
            "tags": [],
            "attributes": {},
        },
        {"Authorization": "Bearer testtoken1234567"},
    )


async def test_alerta_defaults_and_templates(service, sections, receiver):
    sections["alerta"] = AlertaConfig(
        enabled=True, url=f"{receiver.url}/api", token="cfg", token_prefix="Key", origin="K"
    )
    snippet = (
        "        .alerta().resource('r: {{ index .Tags \"host\" }}').event('e: {{ .TaskName }}')"
        ".value('{{ index .Fields \"value\" }}').services('a', '{{ .Name }}')"
        ".correlated('{{ .ID }}').attribute('host', '{{ index .Tags \"host\" }}')"
    )
    event = kapacitor_event(tags={"host": "serverA"})
    event.data.group = "host=serverA"
    await deliver(service, "inline", snippet, "", {}, event)
    (req,) = receiver.requests
    assert req.path == "/api/alert" and req.headers["authorization"] == "Key cfg"
    body = req.json()
    assert (body["resource"], body["event"], body["value"]) == ("r: serverA", f"e: {TASK}", "1")
    assert (body["group"], body["origin"], body["timeout"]) == ("host=serverA", "K", 86400)
    assert body["service"] == ["a", "alert"] and body["correlate"] == ["id"]
    assert body["attributes"] == {"host": "serverA"} and body["tags"] == ["host=serverA"]


# ---------------------------------------------------------------------------------- servicenow


@pytest.mark.parametrize("how", HOW)
async def test_servicenow(service, sections, receiver, how):
    sections["servicenow"] = ServiceNowConfig(
        enabled=True, url=f"{receiver.url}/api/global/em/jsonv2", source="Kapacitor"
    )
    await deliver(
        service, how, "        .serviceNow().source('Kapacitor')", "servicenow",
        {"source": "Kapacitor"},
    )  # fmt: skip
    (req,) = receiver.requests
    assert_request(
        req,
        "POST",
        "/api/global/em/jsonv2",
        {
            "records": [
                {
                    "source": "Kapacitor",
                    "node": "",
                    "type": "",
                    "resource": "",
                    "metric_name": "",
                    "message_key": "id",
                    "severity": "1",
                    "description": "message",
                }
            ]
        },
    )


async def test_servicenow_additional_info_is_a_json_string(service, sections, receiver):
    sections["servicenow"] = ServiceNowConfig(
        enabled=True, url=f"{receiver.url}/sn", username="u", password="p"
    )
    snippet = (
        "        .serviceNow().node('{{ index .Tags \"host\" }}')"
        ".additionalInfo('link', 'http://x/{{ .ID }}').additionalInfo('n', 5)"
    )
    await deliver(service, "inline", snippet, "", {}, kapacitor_event(tags={"host": "h"}))
    (req,) = receiver.requests
    assert req.headers["authorization"] == "Basic dTpw"
    (record,) = req.json()["records"]
    assert record["node"] == "h"
    assert isinstance(record["additional_info"], str)
    assert json.loads(record["additional_info"]) == {"link": "http://x/id", "n": 5}


# ---------------------------------------------------------------------------------- zenoss


ZENOSS_OPTIONS = {
    "Summary": "s: {{ .Message }}",
    "DEVICE": '{{ index .Tags "host" }}',
    "component": "{{ .Name }}",
    "EventClassKey": "key",
    "eventClass": "/App",
    "customField": {"json": '{"a": [1]}', "text": "t {{ .ID }}"},
}


@pytest.mark.parametrize("how", HOW)
async def test_zenoss(service, sections, receiver, how):
    sections["zenoss"] = ZenossConfig(
        enabled=True,
        url=f"{receiver.url}/zport/dmd/evconsole_router",
        username="u",
        password="p",
        severity_map={"ok": 0, "info": 2, "warning": 3, "critical": 5},
    )
    snippet = (
        "        .zenoss().summary('s: {{ .Message }}').device('{{ index .Tags \"host\" }}')"
        ".component('{{ .Name }}').eventClassKey('key').eventClass('/App')"
        ".customField('json', '{\"a\": [1]}').customField('text', 't {{ .ID }}')"
    )
    await deliver(
        service, how, snippet, "zenoss", ZENOSS_OPTIONS, kapacitor_event(tags={"host": "h"})
    )
    (req,) = receiver.requests
    assert_request(
        req,
        "POST",
        "/zport/dmd/evconsole_router",
        {
            "action": "EventsRouter",
            "method": "add_event",
            "data": [
                {
                    "summary": "s: message",
                    "device": "h",
                    "component": "alert",
                    "severity": 5,
                    "evclasskey": "key",
                    "evclass": "/App",
                    "collector": "Kapacitor",
                    "json": {"a": [1]},
                    "text": "t id",
                }
            ],
            "type": "rpc",
            "tid": 1,
        },
        {"Authorization": "Basic dTpw"},
    )


async def test_zenoss_defaults_send_only_kapacitors_keys(service, sections, receiver):
    sections["zenoss"] = ZenossConfig(enabled=True, url=f"{receiver.url}/z")
    await deliver(service, "topic", "", "zenoss", {"tid": 7}, kapacitor_event(levels.OK))
    (req,) = receiver.requests
    assert "authorization" not in req.headers
    assert req.json() == {
        "action": "EventsRouter",
        "method": "add_event",
        "data": [
            {
                "summary": "message",
                "device": "",
                "component": "",
                "severity": "Clear",
                "evclasskey": "",
                "evclass": "",
                "collector": "Kapacitor",
            }
        ],
        "type": "rpc",
        "tid": 7,
    }


def test_zenoss_numeric_severity_map_in_config(tmp_path):
    from kapacitrio.config import load

    path = tmp_path / "k.toml"
    path.write_text(
        "[zenoss]\nenabled = true\n[zenoss.severity-map]\nOK = 0\nInfo = 2\nWarning = 3\n"
        "Critical = 5\n"
    )
    cfg = load(path, env={})
    assert cfg.get("zenoss").severity_map == {"OK": 0, "Info": 2, "Warning": 3, "Critical": 5}


# ---------------------------------------------------------------------------------- victorops


@pytest.mark.parametrize("how", HOW)
async def test_victorops(service, sections, receiver, how):
    sections["victorops"] = VictorOpsConfig(enabled=True, url=receiver.url, api_key="api_key")
    await deliver(
        service, how, "        .victorOps().routingKey('key')", "victorops",
        {"routing-key": "key"},
    )  # fmt: skip
    (req,) = receiver.requests
    assert_request(
        req,
        "POST",
        "/api_key/key",
        {
            "message_type": "CRITICAL",
            "entity_id": "id",
            "state_message": "message",
            "timestamp": 0,
            "monitoring_tool": "kapacitor",
            "data": RESULT_JSON,
        },
    )


# ---------------------------------------------------------------------------------- bad options


@pytest.mark.parametrize(
    "kind,options,message",
    [
        (
            "teams",
            {"channel-url": 5},
            "failed to decode options into *teams.HandlerConfig: 1 error(s) decoding:\n\n"
            "* 'channel-url' expected type 'string', got unconvertible type 'float64', value: '5'",
        ),
        (
            "opsgenie2",
            {"teams-list": "ops", "bogus": 1},
            "failed to decode options into *opsgenie2.HandlerConfig: 2 error(s) decoding:\n\n"
            "* '' has invalid keys: bogus\n"
            "* 'teams-list': source data must be an array or slice, got string",
        ),
        (
            "mqtt",
            {"topic": "t", "qos": "sometimes"},
            "failed to decode options into *mqtt.HandlerConfig: 1 error(s) decoding:\n\n"
            "* error decoding 'qos': unknown QoS level \"sometimes\"",
        ),
        (
            "alerta",
            {"timeout": "soon"},
            "failed to decode options into *alerta.HandlerConfig: 1 error(s) decoding:\n\n"
            "* error decoding 'timeout': time: invalid duration \"soon\"",
        ),
        (
            "zenoss",
            {"TID": "one"},
            "failed to decode options into *zenoss.HandlerConfig: 1 error(s) decoding:\n\n"
            "* 'tid' expected type 'int64', got unconvertible type 'string', value: 'one'",
        ),
        ("snmptrap", {"trap-oid": "1.1", "data-list": [{"oid": "1.2", "type": "z"}]}, "type 'z'"),
    ],
)
async def test_bad_option_values_get_kapacitors_error_at_define_time(
    service, kind, options, message
):
    from kapacitrio.alerting.service import AlertServiceError

    with pytest.raises(AlertServiceError) as exc:
        await service.create_handler("test", {"id": "h", "kind": kind, "options": options})
    assert message in str(exc.value)
    assert "h" not in service.topics.get("test", type("T", (), {"handlers": {}})).handlers


@pytest.mark.parametrize(
    "snippet,message",
    [
        ("        .mqtt('t').qos(7)", "invalid QoS level 7"),
        ("        .alerta().resource('{{ .Nope ')", "unclosed action"),
        ("        .opsGenie2().recoveryAction('explode')", "invalid recovery action"),
    ],
)
def test_bad_inline_values_fail_when_the_task_is_defined(snippet, message):
    from kapacitrio.tick.errors import TickError

    script = f"stream\n    |from()\n    |alert()\n        .crit(lambda: TRUE)\n{snippet}\n"
    with pytest.raises(TickError, match=message):
        compile_task(script, "stream")
