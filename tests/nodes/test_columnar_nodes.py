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
        host = rng.choice([",host=a", ",host=b", ",host=c", ""])
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
]


#: The scripts whose last node hands on a columnar chunk (the others fall back, on purpose).
STAYS_COLUMNAR = {0, 1, 2, 3, 4, 5, 7, 8, 9, 15}


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


def test_simple_pipelines_stay_columnar() -> None:
    chunk = parse_chunk(_body(1), 1, 0, "db", "rp")
    _, _, _, kinds = _run(SCRIPTS[0], chunk, columnar=True)
    assert kinds == ["ColumnChunk"] * 3
    assert not chunk.has_rows
    _, _, _, kinds = _run(SCRIPTS[7], chunk, columnar=True)
    assert kinds[-1] == ColumnChunk.__name__
