"""Filter routing against unrouted runs: same output, same stats, same errors, fewer rows handled.

Every script runs three ways on the very same writes: routed (the router applies the task's
leading condition, as in the server), unrouted (router conditions switched off: the task's own
`from`/`where` filter the whole columnar chunk) and per point (conditions off and the `from` and
`where` columnar handlers off, so every point goes through `point`). What the last node emits,
every node's stats and the edge counts must be identical.
"""

from __future__ import annotations

import pytest
import trio

from kapacitrio.engine.clock import VirtualClock
from kapacitrio.engine.nodes.stream import FromRuntime
from kapacitrio.engine.nodes.where import WhereRuntime
from kapacitrio.engine.taskmaster import open_taskmaster
from kapacitrio.pipeline.build import compile_task

S = 1_000_000_000


def body(start: int, n: int = 200, host_field: bool = False, every_host: bool = False) -> str:
    """Points over 5 hosts and 2 dcs, with rows lacking `host` (unless `every_host`), a rack
    tag on some, another measurement in between and (`host_field`) a field named like the tag
    on some."""
    out = []
    for i in range(n):
        t = (start + i) * S
        v = (i * 37) % 100 + 0.5
        if i % 17 == 0 and not every_host:
            out.append(f"cpu,dc=d{i % 2} value={v} {t}")  # no host: the where node errs
        elif host_field and i % 23 == 0:
            out.append(f'cpu,dc=d{i % 2} host="h1",value={v} {t}')  # host as a field
        elif i % 11 == 0:
            out.append(f"mem,host=h{i % 5} value={v} {t}")
        elif i % 7 == 0:
            out.append(f"cpu,host=h{i % 5},dc=d{i % 2},rack=r{i % 3} value={v} {t}")
        else:
            out.append(f"cpu,host=h{i % 5},dc=d{i % 2} value={v} {t}")
    return "\n".join(out)


TAIL = "    |eval(lambda: \"value\" * 2.0)\n        .as('v2')\n"
WHERE = "stream\n    |from()\n        .measurement('cpu')\n    |where(lambda: {cond})\n" + TAIL
FROM_WHERE = (
    "stream\n    |from()\n        .measurement('cpu')\n        .where(lambda: {cond})\n"
    "        .groupBy('dc')\n" + TAIL
)

CASES = [
    WHERE.format(cond="\"host\" == 'h1'"),
    WHERE.format(cond="'h3' == \"host\""),
    WHERE.format(cond='"host" == \'h1\' OR "host" =~ /h[23]/'),
    WHERE.format(cond="\"host\" != 'h1' AND \"dc\" == 'd0'"),
    WHERE.format(cond='"host" !~ /^h[01]$/'),
    WHERE.format(cond="\"rack\" == 'r1'"),  # most rows lack the tag: errors per point
    WHERE.format(cond='"value" > 50.0 AND "host" == \'h2\''),  # a field: row by row
    FROM_WHERE.format(cond="\"host\" == 'h4' OR \"dc\" == 'd1'"),
    FROM_WHERE.replace("        .groupBy('dc')\n", "").format(cond="\"host\" == 'h2'"),
]


async def run(script: str, mode: str, monkeypatch: pytest.MonkeyPatch) -> dict:
    """Three tasks with the script (two share the condition's evaluation), over four writes."""
    if mode == "per point":
        monkeypatch.setattr(FromRuntime, "point_chunk", lambda self, c, p: -1)
        monkeypatch.setattr(WhereRuntime, "point_chunk", lambda self, c, p: -1)
    emitted: dict[str, list] = {}
    async with open_taskmaster(VirtualClock(1000 * S)) as tm:
        for tid in ("a", "b", "c"):
            text = script if tid != "c" else script.replace("'h", "'x")
            task = await tm.start_task(tid, compile_task(text, "stream"), [("db", "rp")])
            rows = emitted[tid] = []
            last = task.nodes["eval3"] if "eval3" in task.nodes else task.nodes["eval2"]
            last.rt.watch_output = lambda out, rows=rows: rows.extend(
                (p.name, dict(p.tags), dict(p.fields), p.time, p.group) for p in out
            )
        if mode != "routed":
            tm.router.conditions.clear()
        for k in range(5):  # the last write has `host` on every row: the tag index answers
            await tm.write("db", "rp", "ns", body(k * 1000, host_field=k == 2, every_host=k == 4))
        await trio.testing.wait_all_tasks_blocked()
        skipped = {tid: t.prefilter.rows if t.prefilter else 0 for tid, t in tm.tasks.items()}
        return {
            "emitted": emitted,
            "stats": {tid: t.node_stats() for tid, t in tm.tasks.items()},
            "edges": {tid: t.edge_stats() for tid, t in tm.tasks.items()},
            "skipped": skipped,
        }


def comparable(stats: dict) -> dict:
    return {
        tid: {n: {k: v for k, v in s.items() if k != "avg_exec_time_ns"} for n, s in nodes.items()}
        for tid, nodes in stats.items()
    }


@pytest.mark.parametrize("script", CASES)
async def test_routed_equals_unrouted_and_per_point(
    script: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    routed = await run(script, "routed", monkeypatch)
    unrouted = await run(script, "unrouted", monkeypatch)
    per_point = await run(script, "per point", monkeypatch)
    assert all(routed["skipped"].values()), "the router filtered nothing"
    assert not any(unrouted["skipped"].values())
    for other in (unrouted, per_point):
        assert routed["emitted"] == other["emitted"]
        assert comparable(routed["stats"]) == comparable(other["stats"])
        assert routed["edges"] == other["edges"]
    assert routed["emitted"]["a"] and routed["emitted"]["a"] == routed["emitted"]["b"]


async def test_errors_of_rows_without_the_tag_are_counted_by_the_where_node(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    routed = await run(WHERE.format(cond="\"rack\" == 'r1'"), "routed", monkeypatch)
    where = routed["stats"]["a"]["where2"]
    assert where["errors"] > 0
    assert where["collected"] == routed["stats"]["a"]["from1"]["emitted"]
    assert where["emitted"] == len(routed["emitted"]["a"])


async def test_tasks_that_are_not_prefiltered(monkeypatch: pytest.MonkeyPatch) -> None:
    """A `where` after a grouping `from`, a stateful condition, a `from` with two children."""
    scripts = [
        "stream\n    |from()\n        .measurement('cpu')\n        .groupBy('host')\n"
        "    |where(lambda: \"host\" == 'h1')\n",
        "stream\n    |from()\n        .measurement('cpu')\n"
        '    |where(lambda: sigma("value") > 1.0)\n',
        "var f = stream\n    |from()\n        .measurement('cpu')\n"
        "f\n    |where(lambda: \"host\" == 'h1')\nf\n    |count('value')\n",
    ]
    async with open_taskmaster(VirtualClock(0)) as tm:
        for i, script in enumerate(scripts):
            task = await tm.start_task(f"t{i}", compile_task(script, "stream"), [("db", "rp")])
            assert task.prefilter is None
        assert tm.router.conditions == {}


def test_a_part_takes_its_verdicts_from_the_whole_chunk() -> None:
    """`origin` in a part's memo: the parent's verdicts row for row, equal to evaluating the part."""
    import numpy as np

    from kapacitrio.models.lpcolumns import parse_chunk
    from kapacitrio.tick.columnar import compile_columnar
    from kapacitrio.tick.parser import parse_expression

    text = body(0, host_field=True) + "\ncpu,host=h1 value=3i 999999000000000"  # mixed kinds
    for whole in (
        parse_chunk(text, 1, 0, "db", "rp", lambda name: True),
        parse_chunk(body(0), 1, 0, "db", "rp", lambda name: True),
    ):
        idx = np.arange(0, len(whole), 3)
        for expr in [
            '"value" > 50.0',
            "\"host\" == 'h1'",
            '"value" * 2.0 > 30.0 OR "dc" == \'d1\'',
        ]:
            col = compile_columnar(parse_expression(expr))
            part = whole.take(idx)
            part.memo["origin"] = (whole, idx)
            got, want = col.evaluate_bool(part), col.evaluate_bool(whole.take(idx))
            if want is None:
                assert got is None
            else:
                assert got is not None
                assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])


def test_tag_equality_is_answered_by_the_tag_index_as_by_the_columns() -> None:
    """`"tag" == 'value'` takes each series' rows from a per-chunk index of the tag's values;
    the rows and verdicts are those of evaluating the condition, and a chunk with a series
    lacking the tag goes to the columnar code (which flags those rows for the node)."""
    import numpy as np

    from kapacitrio.engine.prefilter import Prefilter, tag_equality
    from kapacitrio.models.lpcolumns import parse_chunk
    from kapacitrio.tick.columnar import compile_columnar
    from kapacitrio.tick.parser import parse_expression

    def parse(text: str) -> object:
        return parse_chunk(text, 1, 0, "db", "rp", lambda name: name == "cpu")

    assert tag_equality(parse_expression("\"host\" == 'h1'")) == ("host", "h1")
    assert tag_equality(parse_expression("'h1' == \"host\"")) == ("host", "h1")
    for other in ("\"host\" != 'h1'", "\"host\" == 'h1' OR \"dc\" == 'd0'", '"a" == "b"'):
        assert tag_equality(parse_expression(other)) is None
    for value in ("h1", "h4", "nobody"):
        expr = compile_columnar(parse_expression(f"\"host\" == '{value}'"))
        indexed = Prefilter(expr, ["stream0", "from1"], "where2")
        assert indexed.equals == ("host", value)
        by_columns = Prefilter(expr, ["stream0", "from1"], "where2")
        by_columns.equals = None
        full = parse(body(0, every_host=True))
        index = parse(body(0, every_host=True))
        got, want = indexed.select(index), by_columns.select(full)
        assert got is not None and want is not None
        assert np.array_equal(got[0], want[0])
        assert got[1:] == (None, None)  # by the index: every row it gives is kept, none to test
        assert want[1].all() and not want[2].any()
        assert index.memo["per-series"].tag_index("host") is not None
        lacking = parse(body(0))
        assert lacking.memo.get("per-series") is None
        got, want = indexed.select(lacking), by_columns.select(parse(body(0)))
        assert lacking.memo["per-series"].tag_index("host") is None
        assert want is not None and want[2].any()  # rows without the tag: the node decides
        for g, w in zip(got, want, strict=True):
            assert np.array_equal(g, w)


async def test_rows_the_router_settled_are_not_tested_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import kapacitrio.engine.nodes._columnar as columnar  # what the where node asks

    tested = []
    real = columnar.predicate_mask
    monkeypatch.setattr(columnar, "predicate_mask", lambda *a: tested.append(len(a[1])) or real(*a))
    script = WHERE.format(cond="\"host\" == 'h1'")
    async with open_taskmaster(VirtualClock(1000 * S)) as tm:
        task = await tm.start_task("a", compile_task(script, "stream"), [("db", "rp")])
        await tm.write("db", "rp", "ns", body(0, every_host=True))  # every row has the tag
        await tm.write("db", "rp", "ns", body(1000))  # some rows lack it: the node decides those
        await trio.testing.wait_all_tasks_blocked()
        stats = task.node_stats()
    assert len(tested) == 1 and tested[0] > 0
    routed = await run(script, "routed", monkeypatch)
    assert routed["emitted"] == (await run(script, "per point", monkeypatch))["emitted"]
    assert stats["where2"]["collected"] == stats["from1"]["emitted"]


async def test_settled_rows_skip_the_nodes_the_condition_stands_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A chunk the router settled goes straight to the node after the filter, with the same
    stats; not past a `from` that would change its rows (here: truncating their times)."""
    handled: list[object] = []
    for cls in (FromRuntime, WhereRuntime):
        real = cls.point_chunk
        monkeypatch.setattr(
            cls,
            "point_chunk",
            lambda self, c, p, real=real: handled.append(self) or real(self, c, p),
        )
    script = WHERE.format(cond="\"host\" == 'h1'")
    truncating = script.replace(
        ".measurement('cpu')\n", ".measurement('cpu')\n        .truncate(1m)\n"
    )
    async with open_taskmaster(VirtualClock(1000 * S)) as tm:
        plain = await tm.start_task("a", compile_task(script, "stream"), [("db", "rp")])
        kept = await tm.start_task("b", compile_task(truncating, "stream"), [("db", "rp")])
        await tm.write("db", "rp", "ns", body(0, every_host=True))
        await trio.testing.wait_all_tasks_blocked()
        stats = plain.node_stats()
    assert handled == [kept.nodes["from1"].rt, kept.nodes["where2"].rt]
    lines = body(0, every_host=True).splitlines()
    cpu = sum(line.startswith("cpu,") for line in lines)
    rows = sum(line.startswith("cpu,host=h1,") for line in lines)
    assert rows and stats["where2"]["collected"] == stats["from1"]["emitted"] == cpu
    assert stats["where2"]["emitted"] == stats["eval3"]["collected"] == rows
    assert plain.edge_stats()[("where2", "eval3")] == rows
