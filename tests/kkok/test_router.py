"""The router: pooling rounds, filter order, expiry, inactivation, errors and persistence."""

import json
import sys

import pytest
import trio

from kapacitrio.kkok.errors import KkokError, NotFound
from kapacitrio.kkok.router import Router
from kapacitrio.kkok.store import MemoryStore

from .conftest import START, make_alert

NS = 1_000_000_000
PY = sys.executable


def recorder(tmp_path, name="out"):
    """An exec route that appends each alert it gets as a JSON line to a file."""
    path = tmp_path / f"{name}.jsonl"
    code = (
        "import json, sys\n"
        f"f = open({str(path)!r}, 'a')\n"
        "f.write(json.dumps(json.load(sys.stdin)) + '\\n')\n"
    )
    return path, [{"type": "exec", "command": [PY, "-c", code]}]


def read_lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def round_times(router: Router) -> list[int]:
    """The seconds from now at which the router's rounds run, filled in as they run."""
    times: list[int] = []
    real = router.run_round
    t0 = trio.current_time()

    async def spy():
        times.append(round(trio.current_time() - t0))
        return await real()

    router.run_round = spy
    return times


async def test_interval_doubles_while_alerts_keep_coming(router, autojump_clock):
    seen = []
    async with trio.open_nursery() as nursery:
        await nursery.start(router.run)
        for _ in range(3):
            await router.add_alert(make_alert())
            before = router.rounds
            while router.rounds == before:
                await trio.sleep(0.01)
            seen.append(router.pool.interval)
        await trio.sleep(20)
        seen.append(router.pool.interval)
        nursery.cancel_scope.cancel()
    assert seen == [2, 4, 4, 1]


async def test_round_times_follow_the_interval(autojump_clock, clock):
    r = Router(clock=clock, initial_interval=2, max_interval=8)
    times = round_times(r)
    await r.add_alert(make_alert())
    async with trio.open_nursery() as nursery:
        await nursery.start(r.run)
        await trio.sleep(2.5)
        await r.add_alert(make_alert())
        await trio.sleep(12)
        nursery.cancel_scope.cancel()
    # 2s (alert) -> next 4s (alert) -> next 8s
    assert times[:3] == [2, 6, 14]


async def test_pending_alerts_and_delivery(router, tmp_path):
    path, spec = recorder(tmp_path)
    await router.put_route("r1", spec)
    await router.put_filter("f", {"type": "route", "routes": ["r1"], "if": 'alert.Host=="web1"'})
    await router.add_alert(make_alert("a"))
    await router.add_alert(make_alert("b", host="other"))
    assert [a.title for a in router.pending()] == ["a", "b"]
    sent = await router.run_round()
    assert router.pending() == []
    assert [a.title for a in sent] == ["a", "b"]
    assert [d["Title"] for d in read_lines(path)] == ["a"]
    assert read_lines(path)[0]["Routes"] == ["r1"]


async def test_static_filters_first_then_dynamic_in_creation_order(router):
    router.add_static_filter({"id": "s1", "type": "edit", "code": "alert.Title += 's'"})
    await router.put_filter("d2", {"type": "edit", "code": "alert.Title += '2'"})
    await router.put_filter("d1", {"type": "edit", "code": "alert.Title += '1'"})
    await router.put_filter("d2", {"type": "edit", "code": "alert.Title += 'X'"})
    assert await router.filter_ids() == ["s1", "d2", "d1"]
    await router.add_alert(make_alert("t"))
    (out,) = await router.run_round()
    assert out.title == "tsX1"


async def test_static_filters_cannot_be_replaced_or_deleted(router):
    router.add_static_filter({"id": "s1", "type": "discard"})
    with pytest.raises(KkokError, match="static"):
        await router.put_filter("s1", {"type": "discard"})
    with pytest.raises(KkokError, match="static"):
        await router.delete_filter("s1")
    await router.enable_filter("s1", False)
    assert (await router.get_filter("s1")).disabled


async def test_unknown_ids(router):
    with pytest.raises(NotFound):
        await router.get_filter("nope")
    with pytest.raises(NotFound):
        await router.delete_filter("nope")
    with pytest.raises(NotFound):
        router.get_route("nope")
    with pytest.raises(KkokError, match="invalid filter id"):
        await router.get_filter("a/b")


async def test_failing_filter_loses_nothing(router, tmp_path):
    path, spec = recorder(tmp_path)
    await router.put_route("r1", spec)
    await router.put_filter("route", {"type": "route", "routes": ["r1"]})
    await router.put_filter("bad", {"type": "discard", "if": "alert.Info.x.y"})
    await router.put_filter("cmd", {"type": "exec", "command": ["/nonexistent"]})
    await router.add_alert(make_alert("kept"))
    await router.run_round()
    assert [d["Title"] for d in read_lines(path)] == ["kept"]


async def test_half_applied_filter_changes_are_rolled_back(router):
    # the edit fails on the second alert: the first must not come out changed either
    await router.put_filter(
        "g", {"type": "edit", "code": "if (alert.Host == 'bad') throw 1; alert.Title = 'x'"}
    )
    await router.add_alert(make_alert("a"))
    await router.add_alert(make_alert("b", host="bad"))
    out = await router.run_round()
    assert [a.title for a in out] == ["a", "b"]


async def test_expiry_removes_filter(router, autojump_clock):
    await router.put_filter("tmp", {"type": "discard", "expire": "2026-01-01T00:00:30Z"})
    await router.add_alert(make_alert())
    assert await router.run_round() == []
    await trio.sleep(31)
    assert await router.filter_ids() == []
    assert await router.store.list("kkok_filter") == []
    await router.add_alert(make_alert())
    assert len(await router.run_round()) == 1


async def test_inactivation_and_enable(router, autojump_clock):
    await router.put_filter("d", {"type": "discard"})
    await router.inactivate_filter("d", START + 60 * NS)
    doc = (await router.get_filter("d")).to_json(router.clock.now())
    assert doc["inactive"] == "2026-01-01T00:01:00Z"
    await router.add_alert(make_alert())
    assert len(await router.run_round()) == 1
    await trio.sleep(61)
    await router.add_alert(make_alert())
    assert await router.run_round() == []
    await router.inactivate_filter("d", START + 600 * NS)
    await router.enable_filter("d", True)
    await router.add_alert(make_alert())
    assert await router.run_round() == []
    await router.enable_filter("d", False)
    await router.add_alert(make_alert())
    assert len(await router.run_round()) == 1


async def test_bad_route_is_refused_and_old_one_kept(router, tmp_path):
    _, spec = recorder(tmp_path)
    await router.put_route("r1", spec)
    with pytest.raises(KkokError, match="no such transport type: pigeon"):
        await router.put_route("r1", [{"type": "pigeon"}])
    with pytest.raises(KkokError, match="JSON array"):
        await router.put_route("r1", {"type": "exec"})
    assert router.get_route("r1").spec == spec


async def test_state_survives_a_restart(clock, tmp_path):
    store = MemoryStore()
    r1 = Router(clock=clock, store=store)
    await r1.put_filter("b", {"type": "discard", "if": "false"})
    await r1.put_filter("a", {"type": "route", "routes": ["x"]})
    await r1.inactivate_filter("a", START + 3600 * NS)
    await r1.enable_filter("b", False)
    await r1.put_route("x", [{"type": "exec", "command": ["true"]}])
    await r1.add_alert(make_alert("p1"))
    await r1.add_alert(make_alert("p2"))

    r2 = Router(clock=clock, store=store)
    await r2.load()
    assert await r2.filter_ids() == ["b", "a"]
    assert (await r2.get_filter("b")).disabled
    assert (await r2.get_filter("a")).inactive_until == START + 3600 * NS
    assert r2.route_ids() == ["x"]
    assert [a.title for a in r2.pending()] == ["p1", "p2"]
    await r2.add_alert(make_alert("p3"))
    await r2.run_round()
    r3 = Router(clock=clock, store=store)
    await r3.load()
    assert r3.pending() == []


async def test_round_that_fails_keeps_its_alerts_and_the_loop_goes_on(router, autojump_clock):
    await router.add_alert(make_alert("a"))
    real = router.dispatch
    calls = []

    async def flaky(alerts):
        calls.append([a.title for a in alerts])
        if len(calls) == 1:
            raise RuntimeError("dispatch broke")
        await real(alerts)

    router.dispatch = flaky
    async with trio.open_nursery() as nursery:
        await nursery.start(router.run)
        await trio.sleep(1.5)
        assert [a.title for a in router.pending()] == ["a"]
        assert len(await router.store.list("kkok_pending")) == 1
        await trio.sleep(5)
        nursery.cancel_scope.cancel()
    assert calls == [["a"], ["a"]]
    assert router.pending() == [] and await router.store.list("kkok_pending") == []


async def test_transport_bug_does_not_stop_other_transports(router, tmp_path):
    path, spec = recorder(tmp_path)
    await router.put_route("r", spec + spec)
    broken = router.routes["r"].transports[0]

    async def bug(alerts):
        raise ZeroDivisionError("oops")

    broken.deliver = bug
    await router.put_filter("f", {"type": "route", "routes": ["r"]})
    await router.add_alert(make_alert("x"))
    await router.run_round()
    assert [d["Title"] for d in read_lines(path)] == ["x"]
    assert "oops" in router.delivery_errors[-1]


async def test_live_settings_change_token_and_intervals(clock, autojump_clock):
    class Live:
        api_token = ""
        initial_interval = 1
        max_interval = 1

    live = Live()
    r = Router(clock=clock, initial_interval=1, max_interval=1, settings=lambda: live)
    assert r.token() == ""
    live.api_token = "new"
    assert r.token() == "new"
    live.initial_interval, live.max_interval = 10, 20
    async with trio.open_nursery() as nursery:
        await nursery.start(r.run)
        await trio.sleep(9.5)
        assert r.rounds == 0
        await trio.sleep(1)
        assert r.rounds == 1
        nursery.cancel_scope.cancel()
    assert (r.pool.initial_interval, r.pool.max_interval) == (10, 20)


async def test_static_filter_wins_over_a_stored_one_with_its_id(clock):
    store = MemoryStore()
    r1 = Router(clock=clock, store=store)
    await r1.put_filter("x", {"type": "discard"})
    r2 = Router(clock=clock, store=store)
    r2.add_static_filter({"id": "x", "type": "route", "routes": ["r"]})
    await r2.load()
    assert await r2.filter_ids() == ["x"]
    assert (await r2.get_filter("x")).type_name == "route"


async def test_a_new_leader_sends_only_once_it_has_led_for_the_settle_time(autojump_clock, clock):
    r = Router(clock=clock, initial_interval=1, max_interval=1)
    r.leader_settle_ns = 5 * NS
    leading = [False]
    r.is_leader = lambda: leading[0]
    rounds = round_times(r)
    async with trio.open_nursery() as nursery:
        await nursery.start(r.run)
        await trio.sleep(3.5)
        leading[0] = True  # leads from the round at 4 s: sends from 9 s on
        await trio.sleep(7)
        leading[0] = False  # a moment out of the lead (at 11 s) starts the wait again
        await trio.sleep(1)
        leading[0] = True  # leads again from the round at 12 s: sends from 17 s on
        await trio.sleep(7)
        nursery.cancel_scope.cancel()
    assert rounds == [9, 10, 17, 18]
