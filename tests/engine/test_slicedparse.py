"""Large writes parsed a slice at a time: the same chunk and errors as a whole-body parse, small
writes answered in between, and each task sees every write whole and in acknowledgement order."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from kapacitrio.engine import slicedparse
from kapacitrio.engine.clock import VirtualClock
from kapacitrio.engine.slicedparse import concat, line_slices, parse_sliced, pieces, sliceable
from kapacitrio.engine.taskmaster import open_taskmaster
from kapacitrio.models.lineprotocol import LineProtocolError
from kapacitrio.models.lpcolumns import parse_chunk
from tests.engine.helpers import T0, S, lines
from tests.engine.recording import SEEN, recorded

DEFAULT_T = T0 + 5 * S


@pytest.fixture
def small_slices(monkeypatch):
    """Slices of about 60 characters, so a body of a few dozen lines has many."""
    monkeypatch.setattr(slicedparse, "SLICE_BYTES", 60)
    monkeypatch.setattr(slicedparse, "UNIFORM_SLICE_BYTES", 60)


def mixed_body() -> bytes:
    """Lines whose slices differ in field types, layouts, tag order and measurements."""
    out = []
    for i in range(40):
        value = f"{i}i" if 10 <= i < 20 else ("true" if i == 25 else f"{i}.5")
        extra = ",load=2i" if i % 7 == 0 else ""
        tags = "host=a,dc=x" if i % 3 else "dc=x,host=a"
        name = "mem" if i % 11 == 0 else "cpu"
        stamp = "" if i == 30 else f" {T0 + i * S}"
        out.append(f"{name},{tags} value={value}{extra}{stamp}")
    out.insert(20, "")  # a blank line and a comment: the careful parser skips them
    out.insert(21, "# comment")
    return "\n".join(out).encode()


def whole(body: bytes, tally: dict | None = None):
    return parse_chunk(body, 1, DEFAULT_T, "db", "rp", tally=tally)


async def sliced(body: bytes, tally: dict | None = None, pauses: list | None = None):
    async def pause() -> None:
        if pauses is not None:
            pauses.append(1)

    got = {} if tally is None else tally
    return concat(await parse_sliced(body, 1, DEFAULT_T, "db", "rp", None, got, pause), "db", "rp")


def same(a, b) -> None:
    """Two chunks hold the same rows, series, layouts and field types."""
    assert [(p.name, p.tags, p.fields, p.time) for p in a.rows()] == [
        (p.name, p.tags, p.fields, p.time) for p in b.rows()
    ]
    assert [(p.name, list(p.tags)) for p in a.rows()] == [(p.name, list(p.tags)) for p in b.rows()]
    assert a.series.names == b.series.names and a.series.tags == b.series.tags
    assert a.layouts == b.layouts
    assert list(a.fields) == list(b.fields)
    for k in a.fields:
        assert a.fields[k].kind is b.fields[k].kind, k
        assert (a.fields[k].present is None) == (b.fields[k].present is None), k
    assert a.series_codes.tolist() == b.series_codes.tolist()


def test_slices_hold_whole_lines_in_order() -> None:
    body = b"a v=1 1\nbb v=2 2\nccc v=3 3\n"
    assert line_slices(body, 5) == [b"a v=1 1\n", b"bb v=2 2\n", b"ccc v=3 3\n"]
    assert b"".join(line_slices(body * 50, 64)) == body * 50
    assert line_slices("x v=1 1", 2) == ["x v=1 1"]


def test_only_bodies_where_every_newline_ends_a_line_are_cut(small_slices) -> None:
    plain = lines(*[(f"cpu v={i}", i) for i in range(10)])
    assert sliceable(plain)
    assert not sliceable(plain + b'\ncpu s="two\nlines" 1')
    assert not sliceable(plain + b"\ncpu,host=a\\ b v=1 1")
    assert not sliceable(b"cpu v=1 1")  # one slice: nothing to cut


async def test_a_sliced_body_is_the_chunk_of_the_whole_body(small_slices) -> None:
    body = mixed_body()
    pauses: list = []
    tally: dict = {}
    got = await sliced(body, tally, pauses)
    assert len(pauses) >= 10
    want_tally: dict = {}
    same(got, whole(body, want_tally))
    assert tally == want_tally == {"cpu": 36, "mem": 4}


async def test_a_bad_line_in_a_later_slice_rejects_the_whole_body(small_slices) -> None:
    good = lines(*[(f"cpu,host=a value={i}", i) for i in range(30)])
    for bad in (b"cpu,host=a", b"cpu value=1 99999999999999999999", b"cpu value=x"):
        body = good + b"\n" + bad + b"\n" + good
        with pytest.raises(LineProtocolError) as want:
            whole(body)
        tally: dict = {}
        with pytest.raises(LineProtocolError) as got:
            await sliced(body, tally)
        assert str(got.value) == str(want.value)
        assert tally == {}  # nothing counted for a rejected body


async def test_a_slice_for_the_careful_parser_settles_the_whole_body(small_slices) -> None:
    good = lines(*[(f"cpu,host=a value={i}", i) for i in range(20)])
    body = good + b"\ncpu value=1,value=2 7\n" + good  # a field key twice
    same(await sliced(body), whole(body))


async def test_uniform_stretches_are_cut_larger_than_the_rest(monkeypatch) -> None:
    monkeypatch.setattr(slicedparse, "SLICE_BYTES", 60)
    monkeypatch.setattr(slicedparse, "UNIFORM_SLICE_BYTES", 600)
    uniform = [f"cpu,host=h{i % 3} value={i}.5 {T0 + i * S}" for i in range(40)]
    other = [f"cpu,host=a value={i}i,x=true {T0 + i * S}" for i in range(20)]
    body = "\n".join(uniform + other + uniform).encode()
    pauses: list[int] = []
    same(await sliced(body, pauses=pauses), whole(body))
    big = line_slices(body, 600)
    small = [line_slices(part) for part in big]
    uniform_parts = sum(1 for part in big if b"i," not in part)
    assert 0 < uniform_parts < len(big)
    assert len(pauses) == len(big) + sum(
        len(s) - 1 for s, p in zip(small, big, strict=True) if b"i," in p
    )


async def test_pieces_hold_at_most_so_many_rows_in_order(small_slices) -> None:
    body = lines(*[(f"cpu,host=h{i % 3} value={i}", i) for i in range(90)])
    chunks = await parse_sliced(body, 1, DEFAULT_T, "db", "rp", None, {}, trio.lowlevel.checkpoint)
    assert len(chunks) > 20
    for rows in (1, 7, 25, 89, 90, 1000):
        got = list(pieces(chunks, rows, "db", "rp"))
        assert all(len(p) <= rows for p in got)
        assert len(got) == -(-90 // rows) if rows >= 25 else len(got) >= 90 // rows
        assert [p.fields["value"] for c in got for p in c.rows()] == [float(i) for i in range(90)]
    [one] = pieces(chunks, 90, "db", "rp")
    same(one, whole(body))


def test_concat_of_nothing_is_empty() -> None:
    assert len(concat([], "db", "rp")) == 0
    one = whole(b"cpu v=1 1")
    assert concat([one, whole(b"")], "db", "rp") is one


async def write_points(tm, values: range, host: str = "a") -> None:
    body = lines(*[(f"cpu,host={host} value={v}", v) for v in values])
    assert await tm.write("db", "rp", "n", body) == len(values)


def seen(task_id: str) -> list[tuple[str, float]]:
    return [(r[3]["value"], r[2]) for r in SEEN.get(task_id, [])]


async def test_a_small_write_is_answered_while_a_large_one_parses(small_slices) -> None:
    SEEN.pop("t", None)
    done: list[str] = []
    async with open_taskmaster(VirtualClock(T0)) as tm:
        await tm.start_task("t", recorded("stream|from().measurement('cpu')"), [("db", "rp")])

        async def large() -> None:
            await write_points(tm, range(100))
            done.append("large")

        async def small() -> None:
            await write_points(tm, range(1000, 1001))
            done.append("small")

        async with trio.open_nursery() as nursery:
            nursery.start_soon(large)
            await trio.lowlevel.checkpoint()  # the large write has parsed its first slice
            nursery.start_soon(small)
        await trio.testing.wait_all_tasks_blocked()
    assert done == ["small", "large"]
    values = [v for v, _ in seen("t")]
    assert values == [1000.0] + [float(v) for v in range(100)]  # the large write whole, in order


async def test_acknowledged_writes_reach_a_task_in_order(small_slices) -> None:
    SEEN.pop("t", None)
    async with open_taskmaster(VirtualClock(T0)) as tm:
        await tm.start_task("t", recorded("stream|from().measurement('cpu')"), [("db", "rp")])
        for start in range(0, 300, 60):  # each acknowledged before the next is sent
            await write_points(tm, range(start, start + 60))
        await write_points(tm, range(300, 301))
        await trio.testing.wait_all_tasks_blocked()
    assert [v for v, _ in seen("t")] == [float(v) for v in range(301)]


async def test_concurrent_large_writes_each_reach_a_task_whole(small_slices) -> None:
    SEEN.pop("t", None)
    async with open_taskmaster(VirtualClock(T0)) as tm:
        await tm.start_task("t", recorded("stream|from().measurement('cpu')"), [("db", "rp")])
        async with trio.open_nursery() as nursery:
            for k in range(4):
                nursery.start_soon(write_points, tm, range(k * 1000, k * 1000 + 50), f"h{k}")
        await trio.testing.wait_all_tasks_blocked()
    values = [int(v) for v, _ in seen("t")]
    runs = [values[i : i + 50] for i in range(0, 200, 50)]
    assert sorted(r[0] for r in runs) == [0, 1000, 2000, 3000]
    assert all(r == list(range(r[0], r[0] + 50)) for r in runs)


async def test_a_rejected_large_write_delivers_nothing(small_slices) -> None:
    SEEN.pop("t", None)
    async with open_taskmaster(VirtualClock(T0)) as tm:
        await tm.start_task("t", recorded("stream|from().measurement('cpu')"), [("db", "rp")])
        body = lines(*[(f"cpu value={i}", i) for i in range(40)]) + b"\ncpu value="
        with pytest.raises(LineProtocolError, match="unable to parse 'cpu value='"):
            await tm.write("db", "rp", "n", body)
        await trio.testing.wait_all_tasks_blocked()
        assert seen("t") == []
        assert tm.ingress == {}


@pytest.fixture
def fast_clock() -> trio.testing.MockClock:
    """Virtual time running 1000 times faster than real time: the test does not sleep."""
    return trio.testing.MockClock(rate=1000.0)


async def test_a_busy_event_loop_cannot_starve_a_large_write(small_slices, fast_clock) -> None:
    """Another task that never blocks: each slice waits `IDLE_WAIT_S` of Trio time at most."""
    spins: list[int] = []
    SEEN.pop("t", None)
    async with open_taskmaster(VirtualClock(T0)) as tm:
        await tm.start_task("t", recorded("stream|from().measurement('cpu')"), [("db", "rp")])
        finished = trio.Event()

        async def spin() -> None:
            while not finished.is_set():
                spins.append(1)
                await trio.lowlevel.checkpoint()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(spin)
            t0 = trio.current_time()
            await write_points(tm, range(40))
            took = trio.current_time() - t0
            finished.set()
        n = len(line_slices(lines(*[(f"cpu,host=a value={v}", v) for v in range(40)])))
        assert took >= (n - 1) * slicedparse.IDLE_WAIT_S
    assert len(spins) > 10
    assert len(seen("t")) == 40
