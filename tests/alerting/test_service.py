"""The alert service: collection, previous levels, topic handlers, match, bounded queues, failures."""

from __future__ import annotations

import pytest
import trio

from kapacitrio.alerting import levels
from kapacitrio.alerting.handlers.base import Handler
from kapacitrio.alerting.service import AlertService, AlertServiceError, NotFound
from tests.alerting.conftest import make_event, settle


class Recorder(Handler):
    def __init__(self, delay: float = 0.0, fail: bool = False) -> None:
        self.events = []
        self.delay = delay
        self.fail = fail

    async def handle(self, event):
        if self.delay:
            await trio.sleep(self.delay)
        if self.fail:
            raise RuntimeError("receiver down")
        self.events.append(event)


async def test_collect_tracks_state_and_previous_level(service):
    rec = Recorder()
    service.attach_task_handlers("t", [rec])
    service.handle_event("t", make_event(levels.WARNING))
    service.handle_event("t", make_event(levels.CRITICAL))
    service.handle_event("t", make_event(levels.OK))
    await settle(service)
    assert [e.state.level for e in rec.events] == [levels.WARNING, levels.CRITICAL, levels.OK]
    assert [e.previous_level for e in rec.events] == [levels.OK, levels.WARNING, levels.CRITICAL]
    assert [e.alert_json()["previousLevel"] for e in rec.events] == ["OK", "WARNING", "CRITICAL"]
    topic = service.get_topic("t")
    assert topic.collected == 3
    assert topic.level == levels.OK
    assert service.event("t", "cpu:nil").level == levels.OK


async def test_topic_level_is_max_of_events(service):
    service.handle_event("sys", make_event(levels.WARNING, id="a"))
    service.handle_event("sys", make_event(levels.CRITICAL, id="b"))
    service.handle_event("other", make_event(levels.INFO, id="c"))
    assert service.get_topic("sys").level == levels.CRITICAL
    assert [t.id for t in service.list_topics(levels.WARNING)] == ["sys"]
    assert [t.id for t in service.list_topics(pattern="o*")] == ["other"]
    assert [s.id for s in service.events("sys", levels.CRITICAL)] == ["b"]
    with pytest.raises(NotFound):
        service.event("sys", "zzz")


async def test_slow_handler_does_not_block_collection_or_other_handlers(service, autojump_clock):
    slow, fast = Recorder(delay=60), Recorder()
    service.attach_task_handlers("t", [slow, fast])
    start = trio.current_time()
    for i in range(5):
        assert service.handle_event("t", make_event(id=f"e{i}"))
    assert trio.current_time() == start  # collecting never waits
    while len(fast.events) < 5:
        await trio.sleep(0.001)
    assert len(slow.events) < 5
    await settle(service, 1000)
    assert len(slow.events) == 5


async def test_full_buffer_drops_events_for_that_handler(nursery, autojump_clock):
    svc = AlertService(buffer=2)
    await nursery.start(svc.run)
    slow = Recorder(delay=10)
    runners = svc.attach_task_handlers("t", [slow])
    results = [svc.handle_event("t", make_event(id=f"e{i}")) for i in range(6)]
    assert results.count(False) >= 3
    assert runners[0].stats["dropped"] == results.count(False)
    assert svc.stats["dropped"] == results.count(False)
    await settle(svc, 1000)
    assert len(slow.events) == 6 - results.count(False)


async def test_failing_handler_is_counted_not_retried(service):
    bad = Recorder(fail=True)
    runners = service.attach_task_handlers("t", [bad])
    service.handle_event("t", make_event())
    service.handle_event("t", make_event())
    await settle(service)
    assert runners[0].stats["errors"] == 2
    assert runners[0].stats["delivered"] == 0
    assert service.stats["handler_errors"] == 2


async def test_detached_handlers_still_deliver_queued_events(service):
    rec = Recorder(delay=0.01)
    runners = service.attach_task_handlers("t", [rec])
    service.handle_event("t", make_event(id="a"))
    service.handle_event("t", make_event(id="b"))
    service.detach_task_handlers("t", runners)
    assert service.handle_event("t", make_event(id="c"))  # nobody listens any more
    await settle(service)
    assert [e.state.id for e in rec.events] == ["a", "b"]


async def test_api_handler_crud_and_match(service, receiver):
    url = f"{receiver.url}/hook"
    doc = await service.create_handler(
        "sys",
        {
            "id": "h",
            "kind": "post",
            "options": {"url": url},
            "match": "changed() AND \"host\" == 'a'",
        },
    )
    assert doc["match"].startswith("changed()")
    service.handle_event("sys", make_event(levels.CRITICAL, tags={"host": "a"}))
    service.handle_event("sys", make_event(levels.CRITICAL, tags={"host": "a"}))  # not changed
    service.handle_event("sys", make_event(levels.WARNING, tags={"host": "b"}))  # other host
    service.handle_event("sys", make_event(levels.OK, id="x", tags={}))  # tag missing: no match
    await settle(service)
    assert [r.json()["level"] for r in receiver.requests] == ["CRITICAL"]
    with pytest.raises(AlertServiceError, match="already exists"):
        await service.create_handler("sys", {"id": "h", "kind": "post", "options": {"url": url}})
    patched = await service.patch_handler(
        "sys", "h", [{"op": "replace", "path": "/match", "value": "level() == OK"}]
    )
    assert patched["match"] == "level() == OK"
    service.handle_event("sys", make_event(levels.OK, tags={"host": "a"}))
    await settle(service)
    assert [r.json()["level"] for r in receiver.requests] == ["CRITICAL", "OK"]
    assert [h["id"] for h in service.list_handlers("sys")] == ["h"]
    assert service.list_handlers("sys", "x*") == []
    await service.delete_handler("sys", "h")
    with pytest.raises(NotFound):
        service.get_handler("sys", "h")


@pytest.mark.parametrize(
    "spec,message",
    [
        ({"kind": "post", "options": {"url": "http://x"}}, "handler must have an ID"),
        ({"id": "a b", "kind": "post"}, "handler ID must contain only"),
        ({"id": "a"}, "handler must have a kind"),
        ({"id": "a", "kind": "nope"}, "unknown handler kind 'nope'"),
        ({"id": "a", "kind": "post", "options": {}}, "must provide url or endpoint"),
        ({"id": "a", "kind": "tcp", "options": {"address": "nohost"}}, "invalid address"),
        (
            {"id": "a", "kind": "post", "options": {"url": "u"}, "match": "level( >"},
            "invalid match",
        ),
        ({"id": "a", "kind": "mqtt", "options": {"topic": "t", "qos": 5}}, "invalid QoS"),
        ([1, 2], "expected a JSON object"),
        (
            {"id": "a", "kind": "post", "options": {"url": "u", "headers": [1, 2]}},
            "'headers' expected a map, got 'slice'",
        ),
        (
            {"id": "a", "kind": "post", "options": {"url": 5}},
            "failed to decode options into \\*httppost.HandlerConfig: 1 error\\(s\\) decoding:\n\n"
            "\\* 'url' expected type 'string', got unconvertible type 'float64', value: '5'",
        ),
        (
            {"id": "a", "kind": "post", "options": {"url": "u", "timeout": "abc"}},
            "error decoding 'timeout': time: invalid duration \"abc\"",
        ),
        ({"id": "a", "kind": "post", "options": [1]}, "options must be an object"),
        (
            {"id": "a", "kind": "post", "options": {"url": "u"}, "match": 5},
            "match must be a string",
        ),
        (
            {"id": "a", "kind": "slack", "options": {"chanel": "#x"}},
            "\\* '' has invalid keys: chanel",
        ),
    ],
)
async def test_invalid_handler_specs(service, spec, message):
    with pytest.raises(AlertServiceError, match=message):
        await service.create_handler("sys", spec)
    assert service.list_handlers("sys") == []


async def test_invalid_patch_leaves_handler_unchanged(service):
    await service.create_handler("sys", {"id": "h", "kind": "tcp", "options": {"address": "h:1"}})
    with pytest.raises(AlertServiceError):
        await service.patch_handler("sys", "h", [{"op": "replace", "path": "/kind", "value": "zz"}])
    with pytest.raises(AlertServiceError):
        await service.patch_handler("sys", "h", [{"op": "bogus"}])
    assert service.get_handler("sys", "h")["kind"] == "tcp"


async def test_inhibitors(service):
    from kapacitrio.alerting.topic import Inhibitor

    inh = Inhibitor("system", {"host": "a", "dc": "x"}, ["host"])
    service.add_inhibitor(inh)
    assert not service.is_inhibited("system", {"host": "a"})
    inh.active = True
    assert service.is_inhibited("system", {"host": "a"})
    assert not service.is_inhibited("system", {"host": "b"})
    assert not service.is_inhibited("other", {"host": "a"})
    service.remove_inhibitor(inh)
    assert not service.is_inhibited("system", {"host": "a"})


async def test_feed_sends_current_events_then_changes(service):
    service.handle_event("sys", make_event(levels.WARNING, id="a"))
    recv = service.subscribe("sys")
    service.handle_event("sys", make_event(levels.CRITICAL, id="b"))
    service.handle_event("other", make_event(levels.CRITICAL, id="z"))
    first = recv.receive_nowait()
    second = recv.receive_nowait()
    assert (first["id"], first["state"]["level"]) == ("a", "WARNING")
    assert (second["id"], second["state"]["level"], second["previousLevel"]) == (
        "b",
        "CRITICAL",
        "OK",
    )
    with pytest.raises(trio.WouldBlock):
        recv.receive_nowait()
    service.unsubscribe(recv)


async def test_slow_feed_subscriber_is_cut_off(service):
    recv = service.subscribe(None, capacity=2)
    for i in range(5):
        service.handle_event("sys", make_event(id=f"e{i}"))
    got = [recv.receive_nowait(), recv.receive_nowait()]
    assert [g["id"] for g in got] == ["e0", "e1"]
    with pytest.raises(trio.EndOfChannel):
        recv.receive_nowait()
