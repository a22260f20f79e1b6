"""Columnar node paths against the point-by-point ones: same rows out, same stats, same errors."""

from __future__ import annotations

import random

import pytest

from kapacitrio.engine.task import _dispatch, build_runtime
from kapacitrio.models.columns import ColumnChunk
from kapacitrio.models.lpcolumns import parse_chunk
from kapacitrio.pipeline.build import compile_task, walk
from tests.nodes.helpers import FakeCtx


def _run(script: str, chunk, columnar: bool):  # noqa: ANN001, ANN202
    """Feed one chunk down a linear pipeline; what comes out, stats and logged errors."""
    ctx = FakeCtx()
    ctx.register_http_out = lambda endpoint, rt: None
    out = chunk if columnar else list(chunk)
    stats = []
    kinds = []
    for spec in walk(compile_task(script, "stream")):
        rt = build_runtime(spec, ctx)
        handler = getattr(rt, "point_chunk", None)
        n = handler(out, 0) if handler is not None else -1
        if getattr(rt, "forward_all", False):
            rt.out = out
        elif n < 0:
            _dispatch(rt, 0, list(out))
        kinds.append(type(rt.out).__name__)
        out = rt.out
        stats.append((spec.name, dict(rt.stats), rt.cardinality()))
    rows = [
        (
            p.name,
            p.tags,
            p.fields,
            list(p.fields),
            [type(v) for v in p.fields.values()],
            p.time,
            p.group,
            p.dimensions,
        )
        for p in out
    ]
    return rows, stats, ctx.errors, kinds


def _body(seed: int) -> str:
    rng = random.Random(seed)
    lines = []
    for t in range(80):
        meas = rng.choice(["cpu", "cpu", "mem"])
        host = rng.choice([",host=a", ",host=b", ",host=c", ""]) + rng.choice([",dc=x", ""])
        fields = [f"v={rng.choice([1.5, 50.0, 70.25, 99.0])}", f"i={rng.choice([0, 2, 5])}i"]
        if rng.random() < 0.3:
            fields.append(f"opt={rng.choice([1.0, 3.0])}")
        lines.append(f"{meas}{host} {','.join(fields)} {t * 10**9}")
    return "\n".join(lines)


SCRIPTS = [
    "stream|from().measurement('cpu')|where(lambda: \"v\" > 50.0)",
    "stream|from().measurement('cpu').where(lambda: \"host\" == 'a' OR \"host\" =~ /c/)",
    "stream|from().measurement('cpu').groupBy('host')|where(lambda: \"opt\" > 2.0)",
    'stream|from().groupBy(*).truncate(2s)|where(lambda: "i" / 1 > 1)',
    'stream|from().groupByMeasurement().round(3s)|where(lambda: 10 / "i" > 2)',
    'stream|from()|where(lambda: isPresent("opt") AND "v" < 60.0)',
    'stream|from()|where(lambda: sigma("v") > 0.5)',
    "stream|from().measurement('cpu')|eval(lambda: \"v\" * 2.0, lambda: \"x\" + 1.0).as('x', 'y')",
    "stream|from()|eval(lambda: \"v\" * 2.0).as('v2').keep()",
    "stream|from()|eval(lambda: \"v\" * 2.0).as('v').keep('i', 'v')",
    "stream|from()|eval(lambda: \"opt\" * 2.0).as('o')",
    'stream|from()|eval(lambda: "i" / "i").as(\'q\').keep()',
    "stream|from()|eval(lambda: string(\"i\"), lambda: \"v\" > 50.0).as('s', 'b').keep('s', 'b', 'opt')",
    "stream|from().groupBy('host')|eval(lambda: \"host\" + 'x').as('h')",
    "stream|from()|eval(lambda: count()).as('c')",
    "stream|from()|eval(lambda: 'a').as('host')",
    "stream|from()|groupBy('host')|where(lambda: \"v\" > 50.0)",
    "stream|from().groupBy('host')|groupBy(*)",
    "stream|from().measurement('cpu')|default().field('opt', 0.5).field('new', 7).tag('host', 'none').tag('dc', 'x')",
    "stream|from().groupBy('host')|default().tag('host', 'z')",
    "stream|from()|default().field('i', 1.5)",
    "stream|from().groupBy('host')|httpOut('x')",
    "stream|from().groupBy('host')|derivative('v').unit(2s)",
    "stream|from()|derivative('i').as('di').nonNegative()",
    "stream|from()|derivative('opt')",
    "stream|from().groupBy('host')|shift(5s)",
    "stream|from().groupBy('host', 'dc')|delete().field('opt').tag('dc')",
    "stream|from()|delete().field('i').field('nope').tag('host')",
    "stream|from().groupBy('host')|delete().tag('nope')",
]


#: The scripts whose last node hands on a columnar chunk (the others fall back, on purpose).
STAYS_COLUMNAR = {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 18, 19, 20, 21, 22, 23, 25, 26, 27, 28}


@pytest.mark.parametrize("index", range(len(SCRIPTS)))
@pytest.mark.parametrize("seed", [1, 2])
def test_columnar_nodes_match_point_by_point(index: int, seed: int) -> None:
    script = SCRIPTS[index]
    chunk = parse_chunk(_body(seed), 1, 0, "db", "rp")
    want = _run(script, chunk, columnar=False)[:3]
    got = _run(script, parse_chunk(_body(seed), 1, 0, "db", "rp"), columnar=True)
    assert (got[3][-1] == "ColumnChunk") is (index in STAYS_COLUMNAR)
    assert got[0] == want[0]
    assert got[1] == want[1]
    assert got[2] == want[2]


def test_http_out_builds_the_same_result_on_read() -> None:
    script = SCRIPTS[21]
    results = []
    for columnar in (False, True):
        ctx = FakeCtx()
        ctx.register_http_out = lambda endpoint, rt: None
        rts = [build_runtime(spec, ctx) for spec in walk(compile_task(script, "stream"))]
        for seed in (1, 2):
            out = parse_chunk(_body(seed), 1, 0, "db", "rp")
            out = out if columnar else list(out)
            for rt in rts:
                handler = getattr(rt, "point_chunk", None)
                n = handler(out, 0) if handler is not None else -1
                if getattr(rt, "forward_all", False):
                    rt.out = out
                elif n < 0:
                    _dispatch(rt, 0, list(out))
                out, rt.out = rt.out, []
        results.append(rts[-1].result())
    assert results[0] == results[1]
    assert len(results[0]["series"]) == 4


def test_simple_pipelines_stay_columnar() -> None:
    chunk = parse_chunk(_body(1), 1, 0, "db", "rp")
    _, _, _, kinds = _run(SCRIPTS[0], chunk, columnar=True)
    assert kinds == ["ColumnChunk"] * 3
    assert not chunk.has_rows
    _, _, _, kinds = _run(SCRIPTS[7], chunk, columnar=True)
    assert kinds[-1] == ColumnChunk.__name__


def _run_chunks(script: str, chunks: list, columnar: bool):  # noqa: ANN001, ANN202
    """Feed several chunks (and barriers) down a linear pipeline; every message out, in order."""
    from kapacitrio.models.point import Barrier, Batch

    ctx = FakeCtx()
    rts = [build_runtime(spec, ctx) for spec in walk(compile_task(script, "stream"))]
    outs = []
    for chunk in chunks:
        out = chunk if columnar or isinstance(chunk, list) else list(chunk)
        for rt in rts:
            handler = getattr(rt, "point_chunk", None)
            n = handler(out, 0) if handler is not None and out else -1
            if getattr(rt, "forward_all", False):
                rt.out = out
            elif n < 0:
                _dispatch(rt, 0, list(out))
            out, rt.out = rt.out, []
        for m in out:
            if type(m) is Batch:
                pts = [(bp.time, bp.fields, list(bp.fields), bp.tags) for bp in m.points]
                outs.append(("batch", m.name, m.tags, m.tmax, pts, m.group, m.dimensions))
            elif type(m) is Barrier:
                outs.append(("barrier", m.group, m.time))
            else:
                outs.append(("point", m.name, m.tags, m.fields, m.time, m.group, m.dimensions))
    stats = [(dict(rt.stats), rt.cardinality()) for rt in rts]
    return outs, stats, ctx.errors + ctx.logs, rts


def _window_chunks(seed: int, n_chunks: int = 6) -> list:
    from kapacitrio.models.point import Barrier

    rng = random.Random(seed)
    chunks: list = []
    t = 0
    for c in range(n_chunks):
        lines = []
        for _ in range(rng.randint(5, 60)):
            t += rng.choice([0, 1, 1, 2, 3]) * 10**9
            jitter = -rng.choice([0, 0, 0, 2]) * 10**9  # a few late points
            host = rng.choice([",host=a", ",host=b", ",host=c"])
            lines.append(f"cpu{host} v={rng.choice([1.5, 50.0, 70.25, 99.0])} {t + jitter}")
        chunks.append(parse_chunk("\n".join(lines), 1, 0, "db", "rp"))
        if c == 3:
            chunks.append([Barrier(None, t + 10**9)])
    return chunks


WINDOW_SCRIPTS = [
    "stream|from().measurement('cpu').groupBy('host')|window().period(10s).every(5s)",
    "stream|from().measurement('cpu')|window().period(10s).every(10s).align()",
    "stream|from().measurement('cpu').groupBy('host')|window().period(6s).every(3s).fillPeriod()",
    "stream|from().measurement('cpu').groupBy('host')|window().period(10s).every(5s)|count('v')",
    "stream|from().groupBy('host')|window().period(10s).every(5s)|mean('v')",
    "stream|from().groupBy('host')|window().period(10s).every(5s)|sum('v')",
    "stream|from().groupBy('host')|window().period(10s).every(5s)|max('v')",
    "stream|from().groupBy('host')|window().period(10s).every(5s)|first('v')",
    "stream|from().groupBy('host')|window().period(10s).every(5s)|count('nope')",
    "stream|from().groupBy('host')|window().period(10s).every(5s)|top(2, 'v')",
]


@pytest.mark.parametrize("script", WINDOW_SCRIPTS)
@pytest.mark.parametrize("seed", [3, 4])
def test_columnar_windows_match_point_by_point(script: str, seed: int) -> None:
    want = _run_chunks(script, _window_chunks(seed), columnar=False)
    got = _run_chunks(script, _window_chunks(seed), columnar=True)
    assert got[0] == want[0]
    assert got[1] == want[1]
    assert got[2] == want[2]
    window = next(rt for rt in got[3] if rt.spec.kind == "window")
    assert window.col_mode  # the columnar run never left the column buffers


def test_a_window_leaves_columns_for_good_when_rows_arrive() -> None:
    from kapacitrio.models.point import Point

    chunks = _window_chunks(5)
    late = Point("cpu", {"host": "a"}, {"v": 1.0}, 10**12, "db", "rp")
    mixed = chunks[:3] + [[late]] + chunks[3:]
    script = WINDOW_SCRIPTS[0]
    want = _run_chunks(script, mixed, columnar=False)
    got = _run_chunks(script, mixed, columnar=True)
    assert got[0] == want[0]
    window = next(rt for rt in got[3] if rt.spec.kind == "window")
    assert not window.col_mode


@pytest.mark.parametrize(
    "script",
    [
        "stream|from().groupBy('host')|derivative('v')",
        "stream|from()|derivative('v').nonNegative().as('r')",
        "stream|from().groupBy('host')|shift(-1s)|derivative('v').unit(1m)",
    ],
)
@pytest.mark.parametrize("seed", [3, 4])
def test_columnar_derivative_across_chunks_matches_point_by_point(script: str, seed: int) -> None:
    want = _run_chunks(script, _window_chunks(seed), columnar=False)
    got = _run_chunks(script, _window_chunks(seed), columnar=True)
    assert got[0] == want[0]
    assert got[1] == want[1]
    assert got[2] == want[2]
    assert any("elapsed time was 0" in str(log) for log in got[2])  # equal times are in the data
