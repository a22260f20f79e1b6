"""Stream recordings tap the router for a task's dbrps and measurements until `stop`."""

from __future__ import annotations

import trio
import trio.testing

from kapacitrio.engine.clock import TrioClock, VirtualClock
from kapacitrio.engine.taskmaster import open_taskmaster
from kapacitrio.pipeline.build import compile_task
from kapacitrio.replay.files import read_all_points
from kapacitrio.replay.recorder import Progress, record_stream

S = 1_000_000_000
T0 = 1_600_000_000 * S


async def test_records_what_the_task_would_see_until_the_clock_passes_stop(
    autojump_clock, tmp_path
) -> None:
    clock = TrioClock(T0)
    path = tmp_path / "r.srpl"
    progress = Progress()
    async with open_taskmaster(clock) as tm:
        live = await tm.start_task(
            "t", compile_task("stream|from().measurement('cpu')", "stream"), [("db", "rp")]
        )
        async with trio.open_nursery() as nursery:
            nursery.start_soon(
                record_stream, tm, clock, path, [("db", "rp")], {"cpu"}, T0 + 60 * S, progress
            )
            await trio.sleep(1)
            await tm.write("db", "rp", "s", b"cpu v=1 1600000001\nmem v=2 1600000001")
            await tm.write("other", "rp", "s", b"cpu v=3 1600000002")
            await trio.sleep(29)
            assert 0.45 < progress.get() < 0.55
            await tm.write("db", "rp", "s", b"cpu,host=x v=4 1600000030")
            start = trio.current_time()
        # the clock ended it (30 more seconds), not the data
        assert trio.current_time() - start >= 30
        assert progress.get() == 1.0
        # the router forgot the tap; the live task kept getting its data all along
        await tm.write("db", "rp", "s", b"cpu v=5 1600000100")
        await trio.testing.wait_all_tasks_blocked()
        assert live.node_stats()["from1"]["collected"] == 3
    got = read_all_points(path)
    assert [(p.name, p.tags, p.fields, p.time, p.db, p.rp) for p in got] == [
        ("cpu", {}, {"v": 1.0}, T0 + S, "db", "rp"),
        ("cpu", {"host": "x"}, {"v": 4.0}, T0 + 30 * S, "db", "rp"),
    ]


async def test_a_point_past_stop_ends_the_recording(tmp_path) -> None:
    clock = VirtualClock(T0)  # never moves: only the data can end this recording
    path = tmp_path / "r.srpl"
    async with open_taskmaster(clock) as tm:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(
                record_stream, tm, clock, path, [("db", "")], {""}, T0 + 3600 * S, Progress()
            )
            await trio.testing.wait_all_tasks_blocked()
            await tm.write("db", "any", "s", b"cpu v=1 1600000001\nmem v=2 1600007200")
    assert [p.name for p in read_all_points(path)] == ["cpu"]


async def test_a_recording_past_the_size_limit_fails(tmp_path, monkeypatch) -> None:
    import pytest

    from kapacitrio.replay import recorder
    from kapacitrio.replay.errors import SourceError

    monkeypatch.setattr(recorder, "MAX_RECORDING_POINTS", 2)
    clock = VirtualClock(T0)
    async with open_taskmaster(clock) as tm:
        with pytest.RaisesGroup(
            pytest.RaisesExc(SourceError, match="too large"), flatten_subgroups=True
        ):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(
                    record_stream,
                    tm,
                    clock,
                    tmp_path / "r.srpl",
                    [("db", "rp")],
                    {""},
                    T0 + 3600 * S,
                    Progress(),
                )
                await trio.testing.wait_all_tasks_blocked()
                await tm.write(
                    "db", "rp", "s", b"cpu v=1 1600000001\ncpu v=2 1600000002\ncpu v=3 1600000003"
                )
    assert tm.router.targets("db", "rp", "cpu") == []
