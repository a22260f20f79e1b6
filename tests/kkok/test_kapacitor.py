"""The Kapacitor side: the `kkok` handler kind and Kapacitor handler kinds used as transports."""

import json

import pytest

from kapacitrio.alerting import handlers as registry
from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event, EventData, EventState
from kapacitrio.alerting.handlers.base import HandlerEnv, HandlerFailed, HandlerOptionError
from kapacitrio.kkok import service
from kapacitrio.kkok.errors import KkokError
from kapacitrio.kkok.sources.kapacitor import alert_from_event, event_from_alert
from kapacitrio.models.timefmt import format_rfc3339

from .conftest import START, make_alert
from .receiver import start_receiver


def make_event(message="cpu is high\nvalue 97", tags=None):
    state = EventState("cpu:host=web1", message, "", START, 0, levels.CRITICAL)
    data = EventData(
        name="cpu",
        task_name="cpu_alert",
        tags=tags if tags is not None else {"host": "web1", "cpu": "total"},
        fields={"value": 97.5},
    )
    return Event("cpu", state, data)


def test_event_becomes_alert():
    a = alert_from_event(make_event())
    assert a.from_ == "kapacitor/cpu_alert" and a.title == "cpu is high"
    assert a.host == "web1" and a.date == START
    assert a.message == "cpu is high\nvalue 97"
    assert a.info == {
        "level": "CRITICAL",
        "id": "cpu:host=web1",
        "tags": {"host": "web1", "cpu": "total"},
        "fields": {"value": 97.5},
    }


def test_event_without_message_or_host():
    a = alert_from_event(make_event(message="", tags={}))
    assert a.title == "cpu:host=web1" and a.host == "" and a.message == ""


async def test_kkok_handler_pools_into_the_running_router(router):
    registry.load_all()
    h = registry.build("kkok", {"routes": ["pager"]}, HandlerEnv())
    service._CURRENT[:] = [router]
    try:
        await h.handle(make_event())
    finally:
        service._CURRENT.clear()
    (a,) = router.pending()
    assert a.routes == ["pager"] and a.title == "cpu is high"
    with pytest.raises(HandlerFailed, match="not running"):
        await h.handle(make_event())


def test_kkok_handler_options():
    registry.load_all()
    with pytest.raises(HandlerOptionError, match="has invalid keys: route"):
        registry.build("kkok", {"route": ["x"]}, HandlerEnv())
    with pytest.raises(HandlerOptionError, match="routes"):
        registry.build("kkok", {"routes": 5}, HandlerEnv())


def test_alert_back_to_event():
    ev = event_from_alert(make_alert("t", message="m", info={"level": "warning", "id": "x"}))
    assert (ev.state.id, ev.state.message, ev.state.details) == ("x", "t", "m")
    assert ev.state.level == levels.WARNING and ev.state.time == START
    assert ev.data.tags == {"host": "web1"}


async def test_log_handler_kind_as_transport(router, tmp_path):
    path = tmp_path / "alerts.log"
    await router.put_route("r", [{"type": "log", "path": str(path)}])
    await router.put_filter("f", {"type": "route", "routes": ["r"]})
    await router.add_alert(make_alert("via log handler"))
    await router.run_round()
    (line,) = path.read_text().splitlines()
    doc = json.loads(line)
    assert doc["message"] == "via log handler" and doc["time"] == format_rfc3339(START)


async def test_post_handler_kind_as_transport(router, nursery):
    rec = await start_receiver(nursery)
    await router.put_route("r", [{"type": "post", "url": rec.url + "/in"}])
    await router.put_filter("f", {"type": "route", "routes": ["r"]})
    await router.add_alert(make_alert("posted", info={"level": "INFO"}))
    await router.run_round()
    (req,) = rec.requests
    body = json.loads(req.body)
    assert req.path == "/in" and body["message"] == "posted" and body["level"] == "INFO"


async def test_bad_handler_options_and_excluded_kinds(router):
    with pytest.raises(KkokError, match="log handler"):
        await router.put_route("r", [{"type": "log"}])
    with pytest.raises(KkokError, match="no such transport type: kkok"):
        await router.put_route("r", [{"type": "kkok"}])
