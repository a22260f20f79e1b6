"""Windows cut a whole chunk at once against the walks they replace: same output, stats, edges.

Every script runs three ways on the very same writes: cut (the default: each group's windows
found at once and handed on as one `BatchRun`, `count` reducing it by columns), walked (the
columnar window walking emission by emission, `count` batch by batch) and per point (`from`
without its columnar handler, so the window buffers rows and sees one point at a time). What
the last node emits, every node's stats and the edge counts must be identical.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import trio
import trio.testing

from kapacitrio.engine.clock import VirtualClock
from kapacitrio.engine.nodes import window_cuts
from kapacitrio.engine.nodes.influxql import InfluxQLNode
from kapacitrio.engine.nodes.stream import FromRuntime
from kapacitrio.engine.nodes.window_cuts import cuts
from kapacitrio.engine.taskmaster import open_taskmaster
from kapacitrio.models.batchrun import BatchRun
from kapacitrio.models.point import Batch
from kapacitrio.pipeline.build import compile_task

S = 1_000_000_000
T0 = 1_600_000_000 * S


def regular(start: int, n: int, hosts: int = 3, step: int = S, extra: str = "") -> str:
    """`n` points, one every `step` from `start` (whole seconds: many fall on boundaries)."""
    return "\n".join(
        f"cpu,host=h{i % hosts} value={(i * 37) % 100 + 0.5},i={i * 7 % 5}i,b={i % 3 == 0}{extra} "
        f"{T0 + start + i * step}"
        for i in range(n)
    )


def gappy(start: int) -> str:
    """Points 3 s apart with a long gap: windows shorter than the spacing come out empty."""
    times = [0, 3, 6, 9, 12, 40, 43, 44, 45, 90, 93]
    return "\n".join(
        f"cpu,host=h{i % 2} value={i}.5 {T0 + start + t * S}" for i, t in enumerate(times)
    )


def ties(start: int) -> str:
    """Two or three rows at most times (one host twice), values often equal."""
    lines = []
    for t in range(0, 60, 2):
        for j, (h, v) in enumerate((("h0", t % 3), ("h1", t % 2), ("h0", t % 3))):
            lines.append(f"cpu,host={h} value={v}.5,i={j}i,b={v > 1} {T0 + start + t * S}")
    return "\n".join(lines)


def late(start: int) -> str:
    """Mostly ordered, with late points (earlier than rows already written) in between."""
    times = [0, 1, 2, 3, 11, 12, 5, 13, 21, 22, 23, 9, 31, 32, 33]
    return "\n".join(
        f"cpu,host=h{i % 2} value={i}.0 {T0 + start + t * S}" for i, t in enumerate(times)
    )


WRITES = {
    "regular": [regular(k * 200 * S, 200) for k in range(4)],
    "fine": [regular(k * 40 * S, 160, step=S // 4) for k in range(3)],
    "gaps": [gappy(k * 100 * S) for k in range(3)],
    "late": [regular(0, 50), late(60 * S), regular(100 * S, 50)],
    "ties": [ties(k * 60 * S) for k in range(3)],
    "strings": [regular(k * 100 * S, 100, extra=',s="x"') for k in range(2)],
    "backwards": [regular(100 * S, 60), regular(0, 60), regular(200 * S, 60)],
}

WINDOWS = [
    "window().period(10s).every(10s)",
    "window().period(10s).every(3s)",
    "window().period(2s).every(10s)",
    "window().period(10s).every(4s).align()",
    "window().period(6s).every(3s).fillPeriod()",
    "window().period(6s).every(4s).align().fillPeriod()",
    "window().period(1s).every(5s)",
]
GROUPINGS = ["", ".groupBy('host')"]
TAILS = [
    "|count('value')",
    "|count('value')|eval(lambda: \"count\" * 2).as('c2')",
    "|count('value').as('n')|where(lambda: \"n\" > 2)",
    "|count('nope')",  # a missing field: an error per point
    "|mean('value')",
    "|max('value')",
    "|last('value')",
    "|first('value').as('f')|eval(lambda: \"f\" + 1.0).as('g')",
    "|min('value').usePointTimes()",
    "|max('i').as('value')",  # the output field takes the place of another
    "|first('b')",
    "",  # the batches themselves
]


def script(window: str, grouping: str, tail: str) -> str:
    return f"stream|from().measurement('cpu'){grouping}|{window}{tail}"


def shape(msg: object) -> tuple:
    if type(msg) is Batch:
        pts = [(bp.time, bp.fields, list(bp.fields), bp.tags) for bp in msg.points]
        return ("batch", msg.name, msg.tags, msg.tmax, pts, msg.group, msg.db, msg.rp)
    return (
        "point",
        msg.name,
        msg.tags,
        msg.fields,
        [type(v) for v in msg.fields.values()],
        msg.time,
        msg.group,
        msg.dimensions,
        msg.db,
        msg.rp,
    )


async def run(text: str, writes: list[str], mode: str, monkeypatch: pytest.MonkeyPatch) -> dict:
    """Two tasks with the script over the writes: every node's output, stats and edges."""
    with monkeypatch.context() as m:
        if mode == "per point":
            m.setattr(FromRuntime, "point_chunk", lambda self, c, p: -1)
        if mode != "cut":
            m.setattr(window_cuts, "can_cut", lambda w, ts: False)
        emitted: dict[str, list] = {}
        kinds: set[str] = set()
        async with open_taskmaster(VirtualClock(T0)) as tm:
            for tid in ("a", "b"):
                task = await tm.start_task(tid, compile_task(text, "stream"), [("db", "rp")])
                for name, node in task.nodes.items():
                    rows = emitted[f"{tid}.{name}"] = []

                    def watch(out: list, rows: list = rows) -> None:
                        kinds.add(type(out).__name__)
                        rows.extend(shape(msg) for msg in out)

                    node.rt.watch_output = watch
            for body in writes:
                await tm.write("db", "rp", "ns", body)
            await trio.testing.wait_all_tasks_blocked()
            stats = {
                tid: {
                    n: {k: v for k, v in s.items() if k != "avg_exec_time_ns"}
                    for n, s in t.node_stats().items()
                }
                for tid, t in tm.tasks.items()
            }
            edges = {tid: t.edge_stats() for tid, t in tm.tasks.items()}
            errors = {tid: t.error for tid, t in tm.tasks.items()}
    return {"emitted": emitted, "stats": stats, "edges": edges, "errors": errors, "kinds": kinds}


CASES = [
    (w, g, t, d)
    for w in WINDOWS
    for g in GROUPINGS
    for t, d in zip(
        TAILS, ["regular", "fine", "gaps", "late", "ties", "backwards"] * 3, strict=False
    )
] + [(WINDOWS[0], g, "|count('s')", "strings") for g in GROUPINGS]


@pytest.mark.parametrize(("window", "grouping", "tail", "data"), CASES)
async def test_cut_windows_equal_walked_and_per_point(
    window: str, grouping: str, tail: str, data: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = script(window, grouping, tail)
    cut = await run(text, WRITES[data], "cut", monkeypatch)
    walked = await run(text, WRITES[data], "walked", monkeypatch)
    per_point = await run(text, WRITES[data], "per point", monkeypatch)
    assert not any(cut["errors"].values())
    for other in (walked, per_point):
        assert cut["emitted"] == other["emitted"]
        assert cut["stats"] == other["stats"]
        assert cut["edges"] == other["edges"]
    assert cut["emitted"]["a.window2"], "the window emitted nothing"
    if data in ("regular", "fine", "gaps", "ties"):  # in order: every chunk was cut at once
        assert "BatchRun" in cut["kinds"]
    assert "BatchRun" not in walked["kinds"]


@pytest.mark.parametrize("data", list(WRITES))
async def test_every_data_set_through_a_grouped_count(
    data: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each data set through the benchmark's pipeline shape, grouped and not."""
    for grouping in GROUPINGS:
        text = script("window().period(10s).every(10s)", grouping, "|count('value')")
        cut = await run(text, WRITES[data], "cut", monkeypatch)
        per_point = await run(text, WRITES[data], "per point", monkeypatch)
        assert cut["emitted"] == per_point["emitted"]
        assert cut["stats"] == per_point["stats"]
        assert cut["edges"] == per_point["edges"]


async def test_count_errors_are_counted_as_per_point(monkeypatch: pytest.MonkeyPatch) -> None:
    text = script("window().period(10s).every(10s)", "", "|count('nope')")
    cut = await run(text, WRITES["regular"], "cut", monkeypatch)
    count = cut["stats"]["a"]["count3"]
    assert count["errors"] == sum(len(b[4]) for b in cut["emitted"]["a.window2"]) > 0
    assert count["emitted"] == count["collected"] == cut["stats"]["a"]["window2"]["emitted"]


async def test_a_regular_chunk_leaves_the_window_as_one_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """100 s of 1 s points through a 10 s window: ten windows in one message, counted at once."""
    text = script("window().period(10s).every(10s)", "", "|count('value')")
    cut = await run(text, [regular(0, 5), regular(5 * S, 100)], "cut", monkeypatch)
    counts = [m[3]["count"] for m in cut["emitted"]["a.count3"]]
    assert counts == [10] * 10
    assert cut["edges"]["a"][("window2", "count3")] == 10
    assert {"BatchRun", "ColumnChunk"} <= cut["kinds"]


@pytest.mark.parametrize("grouping", GROUPINGS)
@pytest.mark.parametrize("data", ["regular", "late"])
async def test_a_run_read_by_two_children(
    grouping: str, data: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One run to a `count` (by columns) and a `mean` (batch by batch) of the same window."""
    text = (
        f"var w = stream|from().measurement('cpu'){grouping}|window().period(10s).every(5s)\n"
        "w|count('value')\nw|mean('value')\n"
    )
    cut = await run(text, WRITES[data], "cut", monkeypatch)
    per_point = await run(text, WRITES[data], "per point", monkeypatch)
    assert cut["emitted"] == per_point["emitted"]
    assert cut["stats"] == per_point["stats"]
    assert cut["edges"] == per_point["edges"]
    assert cut["emitted"]["a.count3"] and cut["emitted"]["a.mean4"]


@pytest.mark.parametrize("func", ["first", "last", "min", "max"])
@pytest.mark.parametrize("field", ["value", "i", "b"])
async def test_selectors_reduce_a_run_by_columns(
    func: str, field: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = script("window().period(6s).every(4s)", "", f"|{func}('{field}')")
    cut = await run(text, WRITES["ties"], "cut", monkeypatch)
    per_point = await run(text, WRITES["ties"], "per point", monkeypatch)
    assert cut["emitted"] == per_point["emitted"]
    assert cut["stats"] == per_point["stats"]
    assert cut["emitted"][f"a.{func}3"]
    kinds = await _selector_output_kinds(text, WRITES["ties"])
    assert kinds == {"ColumnChunk"}


async def _selector_output_kinds(text: str, writes: list[str]) -> set[str]:
    kinds: set[str] = set()
    async with open_taskmaster(VirtualClock(T0)) as tm:
        task = await tm.start_task("s", compile_task(text, "stream"), [("db", "rp")])
        last = task.nodes[task.pipeline.nodes[-1].name]
        last.rt.watch_output = lambda out: kinds.add(type(out).__name__)
        for body in writes:
            await tm.write("db", "rp", "ns", body)
        await trio.testing.wait_all_tasks_blocked()
    return kinds


def test_a_nan_sends_a_selector_batch_by_batch() -> None:
    from kapacitrio.engine.nodes.influxql_runs import selected_chunk
    from kapacitrio.models.batchrun import RunSegment
    from kapacitrio.models.point import NO_DIMENSIONS

    values = np.array([1.0, np.nan, 3.0, 2.0])
    seg = RunSegment(
        ("m", {}, "", NO_DIMENSIONS),
        (np.arange(4, dtype=np.int64), {"v": values}, ("v",), np.zeros(4, np.int32), [{}]),
        np.array([0, 2]),
        np.array([2, 4]),
        [10, 20],
    )
    assert selected_chunk(BatchRun([seg], None), "max", "v", "max", False) is None
    seg.fields = {"v": np.array([1.0, 5.0, 3.0, 2.0])}
    got = selected_chunk(BatchRun([seg], None), "max", "v", "max", False)
    assert [(p.time, p.fields) for p in got] == [(10, {"max": 5.0}), (20, {"max": 3.0})]


def walk_cuts(nxt: int, ts: list[int], every: int, align: bool) -> tuple[list, list, int]:
    """The recurrence row by row, as the point-by-point window applies it."""
    rows, tmax = [], []
    for j, t in enumerate(ts):
        if t >= nxt:
            rows.append(j)
            tmax.append(nxt)
            nxt = t + every
            if align:
                nxt -= nxt % every
    return rows, tmax, nxt


@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_cuts_follow_the_recurrence(align: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    steps = rng.choice([0, 1, 1, 1, 2, 5, 17], size=300)
    ts = np.cumsum(steps).astype(np.int64) - 40
    for every in (1, 3, 10, 50):
        got = cuts(int(ts[0]) + every, ts, every, align)
        assert got == walk_cuts(int(ts[0]) + every, ts.tolist(), every, align)


def test_a_run_reads_as_the_batches_it_holds() -> None:
    from kapacitrio.models.batchrun import RunSegment
    from kapacitrio.models.point import NO_DIMENSIONS

    time = np.arange(10, dtype=np.int64)
    fields = {"v": np.arange(10, dtype=np.float64)}
    codes = np.zeros(10, dtype=np.int32)
    table = [{"host": "a"}]
    segs = [
        RunSegment(
            ("m", {}, g, NO_DIMENSIONS),
            (time, fields, ("v",), codes, table),
            np.array([0, 3]),
            np.array([3, 3]),
            [t, t + 5],
        )
        for g, t in (("a", 100), ("b", 200))
    ]
    run = BatchRun(segs, np.array([2, 0, 3, 1]))
    assert len(run) == 4 and run
    got = [(b.group, b.tmax, [p.time for p in b.points]) for b in run]
    assert got == [("b", 200, [0, 1, 2]), ("a", 100, [0, 1, 2]), ("b", 205, []), ("a", 105, [])]
    assert run[1:3] == list(run)[1:3]
    assert not BatchRun([], None)


async def test_a_cut_window_continues_across_a_snapshot(monkeypatch: pytest.MonkeyPatch) -> None:
    """Snapshot a window that was cutting chunks, restore it into a fresh task: the rest comes
    out as from a task that never stopped."""
    text = script("window().period(10s).every(3s)", ".groupBy('host')", "|count('value')")
    writes = [regular(k * 25 * S, 50) for k in range(6)]

    async def part(bodies: list[str], state: dict | None, snap: bool) -> tuple[list, dict | None]:
        async with open_taskmaster(VirtualClock(T0)) as tm:
            task = await tm.start_task("t", compile_task(text, "stream"), [("db", "rp")])
            seen: list = []
            kinds: set[str] = set()

            def watch(out: list) -> None:
                kinds.add(type(out).__name__)
                seen.extend(shape(m) for m in out)

            task.nodes["count3"].rt.watch_output = watch
            task.nodes["window2"].rt.watch_output = lambda out: kinds.add(type(out).__name__)
            if state is not None:
                assert tm.restore_task("t", state) >= 1
            for body in bodies:
                await tm.write("db", "rp", "ns", body)
            await trio.testing.wait_all_tasks_blocked()
            out = None
            if snap:
                out = json.loads(json.dumps(await tm.snapshot_task("t", 5.0)))
            if state is None:
                assert "BatchRun" in kinds
            await tm.stop_task("t", drain=False)
        return seen, out

    whole, _ = await part(writes, None, False)
    first, state = await part(writes[:3], None, True)
    second, _ = await part(writes[3:], state, False)
    fresh, _ = await part(writes[3:], None, False)
    assert whole and first + second == whole
    assert first + fresh != whole


def test_count_hands_back_what_it_cannot_reduce() -> None:
    """Anything but a run with a typed field goes batch by batch."""
    from tests.nodes.helpers import FakeCtx

    spec = compile_task("stream|from()|window().period(1s).every(1s)|count('v')", "stream")
    node = next(s for s in spec.nodes if s.kind == "count")
    rt = InfluxQLNode(node, FakeCtx())
    assert rt.point_chunk([], 0) == -1
    assert rt.point_chunk(BatchRun([], None), 0) == 0
    assert rt.out == []
    rt.func = "sum"
    assert rt.point_chunk(BatchRun([], None), 0) == -1
