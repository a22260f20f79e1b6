"""Service tests (`/service-tests`): default options per service and a test that sends one event."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from kapacitrio.alerting import handlers as registry
from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event, EventData, EventState
from kapacitrio.alerting.handlers.base import HandlerEnv, HandlerFailed, HandlerOptionError

TestFn = Callable[[Any, dict[str, Any]], Awaitable[tuple[bool, str]]]

#: name -> (default options, test). Other packages may add their services with `register`.
TESTS: dict[str, tuple[dict[str, Any], TestFn]] = {}


def register(name: str, defaults: dict[str, Any], fn: TestFn) -> None:
    TESTS[name] = (defaults, fn)


def _event(name: str, options: dict[str, Any], message_key: str = "message") -> Event:
    level = levels.parse(str(options.get("level", "CRITICAL")))
    message = str(options.get(message_key, f"test {name} message"))
    state = EventState(
        str(options.get("id") or f"test{name}"),
        message,
        str(options.get("details", options.get("body", ""))),
        0,
        0,
        level,
    )
    data = EventData(name="test", task_name="testServiceTask", tags={}, result={"series": None})
    return Event("", state, data, levels.OK)


def _handler_test(
    kind: str, name: str, keep: tuple[str, ...], message_key: str = "message"
) -> TestFn:
    async def test(services: Any, options: dict[str, Any]) -> tuple[bool, str]:
        alerts = getattr(services, "alerts", None)
        env: HandlerEnv = (
            alerts.env if alerts is not None else HandlerEnv(config=services.config.get)
        )
        try:
            handler = registry.build(kind, {k: v for k, v in options.items() if k in keep}, env)
            await handler.handle(_event(name, options, message_key))
        except (HandlerFailed, HandlerOptionError, ValueError) as exc:
            return False, str(exc)
        except Exception as exc:  # a test must report, never crash the API
            return False, f"{type(exc).__name__}: {exc}"
        return True, ""

    return test


def _simple(name: str, kind: str, extra: dict[str, Any], message_key: str = "message") -> None:
    defaults = {message_key: f"test {name} message", "level": "CRITICAL", **extra}
    register(name, defaults, _handler_test(kind, name, tuple(extra), message_key))


registry.load_all()
_simple("slack", "slack", {"workspace": "", "channel": "", "username": "", "icon-emoji": ""})
_simple("pagerduty2", "pagerduty2", {"routing-key": "", "links": []})
_simple("pagerduty", "pagerduty", {"service-key": ""})
_simple("opsgenie2", "opsgenie2", {"teams": [], "recipients": []})
_simple("opsgenie", "opsgenie", {"teams": [], "recipients": []})
_simple("victorops", "victorops", {"routing-key": ""})
_simple("teams", "teams", {"channel-url": ""})
_simple(
    "discord", "discord", {"workspace": "", "username": "", "avatar-url": "", "embed-title": ""}
)
_simple(
    "telegram",
    "telegram",
    {
        "chat-id": "",
        "parse-mode": "",
        "disable-web-page-preview": False,
        "disable-notification": False,
    },
)
_simple(
    "pushover",
    "pushover",
    {"user-key": "", "device": "", "title": "", "url": "", "url-title": "", "sound": ""},
)
_simple(
    "alerta",
    "alerta",
    {"resource": "testResource", "event": "testEvent", "environment": "", "origin": ""},
)
_simple("sensu", "sensu", {"source": "", "handlers": []})
_simple(
    "servicenow",
    "servicenow",
    {"source": "", "node": "", "type": "", "resource": "", "metric-name": ""},
)
_simple("bigpanda", "bigpanda", {"app-key": "", "host": ""})
_simple("talk", "talk", {})
_simple("hipchat", "hipchat", {"room": "", "token": ""})
_simple("zenoss", "zenoss", {"summary": "", "device": "", "component": ""})
_simple("mqtt", "mqtt", {"broker-name": "", "topic": "", "qos": 0, "retained": False})
_SNMP_DATA = [{"oid": "1.1.1.1.2", "type": "s", "value": "test snmptrap message"}]
register(
    "snmptrap",
    {"trap-oid": "1.1.1.1", "data-list": _SNMP_DATA},
    _handler_test("snmptrap", "snmptrap", ("trap-oid", "data-list")),
)
_simple("httppost", "post", {"endpoint": "", "url": "", "headers": {}})
register(
    "smtp",
    {"to": [], "subject": "test subject", "body": "test body"},
    _handler_test("smtp", "smtp", ("to",), message_key="subject"),
)


async def _kafka_test(services: Any, options: dict[str, Any]) -> tuple[bool, str]:
    from kapacitrio.alerting.handlers.kafka import service_test

    alerts = getattr(services, "alerts", None)
    env = alerts.env if alerts is not None else HandlerEnv(config=services.config.get)
    return await service_test(env, options)


register(
    "kafka",
    {"cluster": "example", "topic": "test", "key": "key", "message": "test kafka message"},
    _kafka_test,
)
