"""The replay service in process: requests, job lifecycle, persistence and the replay-id view."""

from __future__ import annotations

import pytest
import trio

from kapacitrio.config import load
from kapacitrio.engine.clock import TrioClock
from kapacitrio.engine.taskmaster import open_taskmaster
from kapacitrio.logs import HUB
from kapacitrio.models.timefmt import parse_rfc3339
from kapacitrio.replay.errors import Invalid, NotFound
from kapacitrio.replay.jobs import RECORDINGS, REPLAYS
from kapacitrio.replay.service import ReplayService
from kapacitrio.services import Services
from kapacitrio.storage.db import open_store
from kapacitrio.tasks.service import TaskService

S = 1_000_000_000
T0 = 1_700_000_000 * S
SCRIPT = "stream|from().measurement('cpu')|alert().crit(lambda: \"v\" > 5).id('x')"
PARAMS = {"pattern": None, "fields": None, "offset": 0, "limit": 100}


@pytest.fixture
async def env(tmp_path):
    clock = TrioClock(T0)
    async with open_store(tmp_path / "k.db") as store, open_taskmaster(clock) as tm:
        services = Services(config=load(None, env={}), store=store, logs=HUB)
        services.taskmaster = tm
        services.tasks = TaskService(services)
        async with trio.open_nursery() as nursery:
            await nursery.start(services.tasks.run)
            svc = ReplayService(services, tmp_path / "replay", clock)
            await nursery.start(svc.run)
            services.replay = svc
            await services.tasks.create_task(
                {
                    "id": "cpu",
                    "type": "stream",
                    "dbrps": [{"db": "db", "rp": "rp"}],
                    "script": SCRIPT,
                    "status": "enabled",
                }
            )
            yield services
            nursery.cancel_scope.cancel()


async def wait_status(get, ident, status="finished"):
    """Poll once a virtual second (no deadline: store threads let the mock clock jump to it)."""
    for _ in range(100_000):
        view, running = await get(ident)
        if not running:
            assert view["status"] == status, view
            return view
        await trio.sleep(1)
    raise AssertionError(f"{ident} still running")


async def record(env, rid="rec", values=(1, 9, 2, 8), step=10 * S, duration="1m"):
    svc = env.replay
    view = await svc.record_stream({"id": rid, "task": "cpu", "duration": duration})
    assert view["status"] == "running" and view["progress"] == 0
    await trio.sleep(1)
    now = svc.clock.now()
    body = "\n".join(f"cpu v={v} {now + i * step}" for i, v in enumerate(values))
    await env.taskmaster.write("db", "rp", "n", body.encode())
    return await wait_status(svc.get_recording, rid)


async def until(fn):
    """Poll a condition once a virtual second."""
    for _ in range(100_000):
        value = await fn()
        if value:
            return value
        await trio.sleep(1)
    raise AssertionError("condition never held")


async def test_stream_recording_ends_by_the_clock_and_replays(env, autojump_clock):
    svc = env.replay
    rec = await record(env)
    assert rec["size"] > 0 and rec["progress"] == 1.0
    # the recording's date is when it finished: a minute after it started
    # (store threads let the mock clock jump on, so only a lower bound is exact)
    assert T0 + 60 * S <= parse_rfc3339(rec["date"]) < T0 + 3600 * S
    view = await svc.replay_recording({"id": "r", "task": "cpu", "recording": "rec"})
    assert view["status"] == "running" and view["stats"] == {}
    done = await wait_status(svc.get_replay, "r")
    assert done["stats"]["node-stats"]["alert2"]["crits_triggered"] == 2
    assert env.taskmaster.task_info("cpu")["stats"]["alert2"]["collected"] == 4


async def test_replay_id_view_only_while_running(env, autojump_clock):
    svc = env.replay
    await env.tasks.create_task(
        {"id": "off", "type": "stream", "dbrps": [{"db": "db", "rp": "rp"}], "script": SCRIPT}
    )
    await svc.record_stream({"id": "rec", "task": "off", "duration": "12h"})
    await trio.sleep(1)
    now = svc.clock.now()
    body = "\n".join(f"cpu v={v} {now + i * 3600 * S}" for i, v in enumerate([9, 1] * 5))
    await env.taskmaster.write("db", "rp", "n", body.encode())
    await wait_status(svc.get_recording, "rec")
    # while looking, the mock clock jumps only after real idle time, not while a store thread runs
    autojump_clock.autojump_threshold = 0.2
    await svc.replay_recording({"id": "r", "task": "off", "recording": "rec", "clock": "real"})
    view = await until(lambda: svc.task_for_replay("r", "off"))
    # the disabled task executes only in the replay, which is still between its points
    assert view["executing"] is True and view["status"] == "disabled"
    assert 1 <= view["stats"]["node-stats"]["alert2"]["collected"] < 10
    assert "digraph off" in view["dot"]
    assert await svc.task_for_replay("r", "other") is None
    assert await svc.task_for_replay("nope", "off") is None
    autojump_clock.autojump_threshold = 0
    done = await wait_status(svc.get_replay, "r")
    assert done["stats"]["node-stats"]["alert2"]["collected"] == 10
    assert await svc.task_for_replay("r", "off") is None


async def test_deleting_a_running_recording_cancels_it_and_removes_its_file(
    env, tmp_path, autojump_clock
):
    svc = env.replay
    path = tmp_path / "replay" / "rec.srpl"
    await svc.record_stream({"id": "rec", "task": "cpu", "duration": "1h"})
    await until(lambda: trio.to_thread.run_sync(path.exists))
    await svc.delete_recording("rec")
    assert not path.exists()
    with pytest.raises(NotFound, match="no recording exists"):
        await svc.get_recording("rec")
    assert await env.store.get(RECORDINGS, "rec") is None
    # the tap is gone from the live router
    await until(
        lambda: _true(
            env.taskmaster.router.targets("db", "rp", "cpu") == [env.taskmaster.tasks["cpu"]]
        )
    )


async def test_deleting_a_recording_as_it_starts_leaves_no_file(env, tmp_path, autojump_clock):
    svc = env.replay
    await svc.record_stream({"id": "rec", "task": "cpu", "duration": "1h"})
    await svc.delete_recording("rec")
    await trio.sleep(5)
    assert list((tmp_path / "replay").iterdir()) == []


async def _true(value):
    await trio.lowlevel.checkpoint()
    return value


async def test_listing_is_newest_first_and_paged(env, autojump_clock):
    svc = env.replay
    for rid in ("b", "a", "c"):
        await svc.record_query({"id": rid, "type": "stream", "query": "SELECT v FROM db.rp.m"})
        await trio.sleep(1)
    got = await svc.list_recordings(PARAMS)
    assert [r["id"] for r in got] == ["c", "a", "b"]
    assert all(r["status"] == "failed" for r in got)
    page = await svc.list_recordings({**PARAMS, "offset": 1, "limit": 1, "fields": ["id"]})
    assert page == [{"id": "a"}]
    only = await svc.list_recordings({**PARAMS, "pattern": "[ab]"})
    assert [r["id"] for r in only] == ["a", "b"]


async def test_bad_requests_change_nothing(env, autojump_clock):
    svc = env.replay
    await record(env)
    bad = [
        (svc.record_stream, {"task": "cpu"}, Invalid, "must provide stop time"),
        (
            svc.record_stream,
            {"task": "cpu", "duration": "soon"},
            Invalid,
            'invalid duration "soon"',
        ),
        (
            svc.record_stream,
            {"task": "cpu", "stop": "2020-13-01T00:00:00Z"},
            Invalid,
            "invalid stop time",
        ),
        (
            svc.record_stream,
            {"id": "rec", "task": "cpu", "duration": "1s"},
            Invalid,
            "already exists",
        ),
        (
            svc.record_batch,
            {"task": "cpu", "start": "2020-01-01T00:00:00Z"},
            Invalid,
            "stream task cpu",
        ),
        (
            svc.record_batch,
            {"task": "x", "start": "2020-01-02T00:00:00Z", "stop": "2020-01-01T00:00:00Z"},
            Invalid,
            "before start",
        ),
        (
            svc.replay_recording,
            {"id": "", "task": "cpu", "recording": "rec", "recording-time": "yes"},
            Invalid,
            "of type bool",
        ),
        (svc.replay_recording, {"task": "cpu"}, NotFound, "recording not found"),
        (
            svc.replay_recording,
            {"task": "", "recording": "rec"},
            NotFound,
            "task load: no task exists",
        ),
        (
            svc.replay_recording,
            {"id": "x" * 300, "task": "cpu", "recording": "rec"},
            Invalid,
            "at most 255",
        ),
    ]
    for fn, opts, exc, message in bad:
        with pytest.raises(exc, match=message):
            await fn(opts)
    assert [r["id"] for r in await svc.list_recordings(PARAMS)] == ["rec"]
    assert await svc.list_replays(PARAMS) == []


async def test_running_jobs_are_marked_failed_at_the_next_start(env, tmp_path, autojump_clock):
    store = env.store
    await store.put(
        REPLAYS,
        "old",
        {
            "id": "old",
            "status": "running",
            "task": "t",
            "recording": "",
            "recording-time": False,
            "clock": "fast",
            "date": "",
            "error": "",
            "progress": 0.2,
        },
    )
    fresh = ReplayService(env, tmp_path / "replay", env.replay.clock)
    async with trio.open_nursery() as nursery:
        await nursery.start(fresh.run)
        view, running = await fresh.get_replay("old")
        nursery.cancel_scope.cancel()
    assert not running
    assert (view["status"], view["error"], view["progress"]) == (
        "failed",
        "unexpected Kapacitor shutdown",
        1.0,
    )
