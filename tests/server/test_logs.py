"""Unit tests of structured logging and the log hub."""

from __future__ import annotations

import io
import json

import pytest
import trio

from kapacitrio import logs
from kapacitrio.logs import LogHub, configure, format_json, format_logfmt, get_logger


@pytest.fixture
def hub_and_stream():
    hub = LogHub(buffer=4)
    stream = io.StringIO()
    configure("debug", stream=stream, hub=hub)
    yield hub, stream
    configure("info")


def test_logfmt_quoting():
    entry = {"ts": "T", "lvl": "info", "msg": "two words", "k": "", "q": 'a"b', "n": 3, "b": True}
    assert format_logfmt(entry) == 'ts=T lvl=info msg="two words" k= q="a\\"b" n=3 b=true'
    assert json.loads(format_json(entry)) == entry


async def test_entries_go_to_stream_and_matching_subscribers(hub_and_stream):
    hub, stream = hub_and_stream
    with hub.subscribe({"task": "a"}) as only_a, hub.subscribe() as everything:
        log = get_logger("task_store")
        log.info("first", task="a", extra="x y")
        log.warning("second", task="b")
        log.debug("third", task="a")
        assert only_a.receive_nowait()["msg"] == "first"
        assert only_a.receive_nowait()["msg"] == "third"
        with pytest.raises(trio.WouldBlock):
            only_a.receive_nowait()
        got = [everything.receive_nowait() for _ in range(3)]
    assert [e["lvl"] for e in got] == ["info", "warn", "debug"]
    assert list(got[0])[:4] == ["ts", "lvl", "msg", "service"]
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3
    assert 'msg=first service=task_store task=a extra="x y"' in lines[0]
    assert lines[1].split()[1] == "lvl=warn"
    assert hub.subscribers == 0


async def test_level_filtering():
    hub = LogHub()
    stream = io.StringIO()
    configure("warn", stream=stream, hub=hub)
    try:
        get_logger("x").info("hidden")
        get_logger("x").error("shown")
    finally:
        configure("info")
    assert "hidden" not in stream.getvalue() and "shown" in stream.getvalue()
    with pytest.raises(ValueError):
        configure("loud")


async def test_slow_subscriber_drops_instead_of_blocking(hub_and_stream):
    hub, _ = hub_and_stream
    with hub.subscribe() as slow:
        log = get_logger("x")
        for i in range(10):  # buffer is 4: the logger must never wait
            log.info("m", i=i)
        got = [slow.receive_nowait()["i"] for _ in range(4)]
        assert got == [0, 1, 2, 3]
        with pytest.raises(trio.WouldBlock):
            slow.receive_nowait()


async def test_publish_from_a_worker_thread(hub_and_stream):
    hub, _ = hub_and_stream
    with hub.subscribe() as recv:
        await trio.to_thread.run_sync(lambda: get_logger("thread").info("from thread"))
        with trio.fail_after(5):
            entry = await recv.receive()
    assert entry["msg"] == "from thread" and entry["service"] == "thread"


async def test_close_all_ends_subscriptions(hub_and_stream):
    hub, _ = hub_and_stream
    with hub.subscribe() as recv:
        get_logger("x").info("last")
        hub.close_all()
        assert [e["msg"] async for e in recv] == ["last"]


def test_default_hub_is_shared():
    assert isinstance(logs.HUB, LogHub)


async def test_level_thresholds_and_exact_levels(hub_and_stream):
    hub, _ = hub_and_stream
    filters = ({"lvl": "warn+"}, {"lvl": "warn"}, {"lvl": "debug+"}, {"lvl": "loud+"})
    with (
        hub.subscribe(filters[0]) as warn_up,
        hub.subscribe(filters[1]) as warn_only,
        hub.subscribe(filters[2]) as all_up,
        hub.subscribe(filters[3]) as unknown,
    ):
        log = get_logger("t")
        log.debug("d")
        log.info("i")
        log.warning("w")
        log.error("e")

        def drain(recv) -> list[str]:
            out = []
            while True:
                try:
                    out.append(recv.receive_nowait()["msg"])
                except trio.WouldBlock:
                    return out

        assert drain(warn_up) == ["w", "e"]
        assert drain(warn_only) == ["w"]
        assert drain(all_up) == ["d", "i", "w", "e"]
        assert drain(unknown) == ["d", "i", "w", "e"]  # an unknown name lets every level through


def test_set_level_changes_what_is_logged_live():
    hub = LogHub()
    stream = io.StringIO()
    configure("info", stream=stream, hub=hub)
    try:
        log = get_logger("x")  # made before the change, follows it
        log.debug("one")
        logs.set_level("debug")
        assert logs.current_level() == "debug"
        log.debug("two")
        logs.set_level("ERROR")
        log.warning("three")
        log.error("four")
        with pytest.raises(ValueError):
            logs.set_level("loud")
    finally:
        configure("info")
    text = stream.getvalue()
    assert "one" not in text and "two" in text and "three" not in text and "four" in text


async def test_a_tail_asking_for_debug_gets_it_below_the_server_level():
    # Kapacitor's log API serves `lvl=debug+` even when the server logs at info; the server's
    # own log keeps to info, and once the tail ends debug entries are not even made.
    hub = LogHub()
    stream = io.StringIO()
    configure("info", stream=stream, hub=hub)
    try:
        log = get_logger("x")
        with hub.subscribe({"lvl": "debug+"}) as debug_up, hub.subscribe({}) as plain:
            log.debug("low")
            log.info("mid")
            assert [debug_up.receive_nowait()["msg"] for _ in range(2)] == ["low", "mid"]
            assert plain.receive_nowait()["msg"] == "low"  # made for the tail; filters pass it
        assert "low" not in stream.getvalue() and "mid" in stream.getvalue()
        with hub.subscribe({}) as later:
            log.debug("after")
            with pytest.raises(trio.WouldBlock):
                later.receive_nowait()
    finally:
        configure("info")
