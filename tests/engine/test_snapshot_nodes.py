"""Node state snapshots of every stateful node: a task snapshotted mid-stream and restored into a
fresh one emits exactly what the uninterrupted task does (joins, lambdas with sigma() and
count(), stateCount, sample, flatten, combine, InfluxQL functions and transforms, groupBy)."""

from __future__ import annotations

import pytest

from tests.engine.helpers import T0, S
from tests.engine.test_snapshot import _check_continuity, _points

FROM = "stream|from().measurement('cpu').groupBy('host')"
WAVE = [1.0, 5.0, 2.0, 8.0, 3.0, 3.5, 9.0, 1.0, 4.0, 6.0, 2.5, 7.0, 0.5, 5.5]


def _wave(n: int, hosts: int) -> list[str]:
    return _points(n, hosts, lambda i, h: WAVE[(i + h) % len(WAVE)] * (1 + h))


@pytest.mark.parametrize(
    "chain",
    [
        '|where(lambda: sigma("value") > 0.9)',
        "|eval(lambda: count(), lambda: spread(\"value\")).as('n', 'spread')",
        '|stateCount(lambda: "value" > 2.0)',
        '|stateDuration(lambda: "value" > 2.0).unit(1s)',
        "|sample(3)",
        '|alert().crit(lambda: sigma("value") > 1.2)',
    ],
)
async def test_per_group_state_continues(chain: str, autojump_clock) -> None:
    await _check_continuity(FROM + chain, _wave(24, 2), split=10)


async def test_a_stateful_where_in_from_continues(autojump_clock) -> None:
    script = """stream|from().measurement('cpu').where(lambda: sigma("value") > 0.8)"""
    await _check_continuity(script, _wave(20, 1), split=8)


@pytest.mark.parametrize(
    "func", ["mean('value')", "max('value')", "last('value')", "count('value')", "spread('value')"]
)
async def test_influxql_functions_on_a_stream_keep_the_pending_time(
    func: str, autojump_clock
) -> None:
    # two points per group and time in successive writes: at the split a time is half gathered
    writes = [
        f"cpu,host=h{h} value={WAVE[(i + k) % len(WAVE)]} {T0 + (i // 2) * S}"
        for i in range(20)
        for h, k in ((0, 0), (1, 3))
    ]
    await _check_continuity(FROM + "|" + func, writes, split=9)


@pytest.mark.parametrize(
    "func",
    [
        "difference('value')",
        "movingAverage('value', 3)",
        "cumulativeSum('value')",
        "elapsed('value', 1s)",
    ],
)
async def test_influxql_transforms_continue(func: str, autojump_clock) -> None:
    writes = _points(16, 2, lambda i, h: WAVE[(i * 3 + h) % len(WAVE)])
    # irregular times, so elapsed depends on the previous point
    writes = [w.replace(f" {T0 + i * S}", f" {T0 + i * i * S}") for i, w in enumerate(writes)]
    await _check_continuity(FROM + "|" + func, writes, split=7)


async def test_a_join_keeps_its_pending_sets(autojump_clock) -> None:
    script = """var cpu = stream|from().measurement('cpu').groupBy('host')
var mem = stream|from().measurement('mem').groupBy('host')
cpu|join(mem).as('c', 'm')"""
    # mem lags cpu by one write: a join set is always half full at a split
    writes = [
        "\n".join(
            [f"cpu,host=h{h} value={i + h} {T0 + i * S}" for h in range(2)]
            + (
                [f"mem,host=h{h} used={i * 2 + h} {T0 + (i - 1) * S}" for h in range(2)]
                if i
                else []
            )
        )
        for i in range(14)
    ]
    await _check_continuity(script, writes, split=6)


async def test_a_join_on_fewer_dimensions_keeps_its_buffers(autojump_clock) -> None:
    script = """var cpu = stream|from().measurement('cpu').groupBy('host', 'dc')
var dc = stream|from().measurement('dc').groupBy('dc')
cpu|join(dc).as('c', 'd').on('dc')"""
    writes = [
        "\n".join(
            [f"cpu,host=h{h},dc=d0 value={i + h} {T0 + i * S}" for h in range(2)]
            + ([f"dc,dc=d0 load={i * 3} {T0 + (i - 1) * S}"] if i else [])
        )
        for i in range(12)
    ]
    await _check_continuity(script, writes, split=5)


async def test_flatten_keeps_the_point_being_flattened(autojump_clock) -> None:
    script = "stream|from().measurement('cpu')|flatten().on('host')"
    # the hosts of one time arrive in two writes
    writes = [f"cpu,host=h{i % 2} value={i} {T0 + (i // 2) * S}" for i in range(16)]
    await _check_continuity(script, writes, split=7)


async def test_combine_keeps_its_buffered_points(autojump_clock) -> None:
    script = """stream|from().measurement('cpu')
        |combine(lambda: "host" == 'h0', lambda: "host" == 'h1').as('a', 'b')"""
    writes = [f"cpu,host=h{i % 2} value={i} {T0 + (i // 2) * S}" for i in range(16)]
    await _check_continuity(script, writes, split=7)


async def test_group_by_on_batches_keeps_the_held_batches(autojump_clock) -> None:
    script = """stream|from().measurement('cpu')
        |window().period(4s).every(4s)
        |groupBy('host')"""
    await _check_continuity(script, _points(26, 3, lambda i, h: i * 10 + h), split=11)
