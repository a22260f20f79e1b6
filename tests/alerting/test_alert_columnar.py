"""The alert node's columnar path against its per-point path, on the very same writes.

Each scenario runs twice: once as it runs in the server (a write's chunk goes through the columnar
path where it can) and once with the columnar path switched off (every point through `point`).
Handler events, their texts and JSON bodies, topic state, node stats and what the node emits must
be identical; a spy proves the columnar run really took the columnar path.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import trio

from kapacitrio.alerting.handlers.base import Handler
from kapacitrio.alerting.service import AlertService
from kapacitrio.engine.clock import VirtualClock
from kapacitrio.engine.nodes.alert import AlertNode
from kapacitrio.engine.taskmaster import open_taskmaster
from kapacitrio.pipeline.build import compile_task
from tests.alerting.conftest import settle

S = 1_000_000_000
T0 = 31536000 * S


class Recorder(Handler):
    def __init__(self) -> None:
        self.events = []

    async def handle(self, event):
        self.events.append(event)


def body(n: int = 300, hosts: int = 3, seed: int = 7, start: int = 31536000) -> str:
    """`n` points over `hosts` hosts with values that cross every threshold back and forth."""
    out = []
    for i in range(n):
        v = (i * seed * 37) % 100 + 0.5
        if i % 13 == 0:
            v = 99.5 if (i // 13) % 2 else 1.5  # runs at one level and sudden jumps
        out.append(f"cpu,host=h{i % hosts},dc=d{i % 2} value={v} {start + i}")
    return "\n".join(out)


async def run(script: str, writes: list[str], *, recorder: bool, columnar: bool, monkeypatch):
    """Run a task over writes; returns everything observable about its alerts."""
    used = []
    original = AlertNode.point_chunk

    def spy(self, chunk, parent):
        if not columnar:
            return -1
        n = original(self, chunk, parent)
        used.append(n >= 0)
        return n

    monkeypatch.setattr(AlertNode, "point_chunk", spy)
    service = AlertService()
    rec = Recorder()
    emitted = []
    async with trio.open_nursery() as nursery:
        await nursery.start(service.run)
        if recorder:
            service.attach_task_handlers("out", [rec])
        async with open_taskmaster(VirtualClock(T0), SimpleNamespace(alerts=service)) as tm:
            running = await tm.start_task("t", compile_task(script, "stream"), [("db", "rp")])
            alert = next(n for n in running.nodes if n.startswith("alert"))
            running.nodes[alert].rt.watch_output = lambda out: emitted.extend(
                (p.name, dict(p.tags), dict(p.fields), p.time, p.group) for p in out
            )
            for w in writes:
                await tm.write("db", "rp", "s", w)
            await tm.stop_task("t")
            stats = running.node_stats()[alert]
        await settle(service)
        nursery.cancel_scope.cancel()
    events = [
        (
            e.state.id,
            e.state.message,
            e.state.details,
            e.state.level,
            e.state.time,
            e.state.duration,
            e.previous_level,
            e.alert_text(),
            sorted(e.data.fields.items()),
        )
        for e in rec.events
    ]
    topic = service.topics.get("out")
    states = {} if topic is None else {k: repr(v) for k, v in topic.events.items()}
    collected = 0 if topic is None else topic.collected
    stats.pop("avg_exec_time_ns")
    return {
        "events": events,
        "states": states,
        "collected": collected,
        "stats": stats,
        "emitted": emitted,
    }, used


BASE = """
stream
    |from().measurement('cpu').groupBy('host')
    |alert()
        .info(lambda: "value" > 40)
        .warn(lambda: "value" > 60)
        .crit(lambda: "value" > 90)
        .topic('out')
        {extra}
"""

SCENARIOS = {
    "default": "",
    "state changes only": ".stateChangesOnly()",
    "state changes only interval": ".stateChangesOnly(5s)",
    "flapping": ".flapping(0.2, 0.5).history(6)",
    "no recoveries": ".noRecoveries()",
    "custom message": ".message('{{ .ID }} {{ .Level }} {{ index .Tags \"dc\" }} {{ .Duration }}')",
    "custom details": ".details('<b>{{ .Message }}</b> {{ index .Fields \"value\" }}')",
    "augmented": ".levelTag('lvl').idField('aid').messageField('msg').durationField('dur')",
    "id with tags": ".id('{{ .Name }}/{{ index .Tags \"dc\" }}')",
    "shared id": ".id('{{ .Name }}')",
    "inhibited": ".category('c').inhibit('c', 'host')",
    "crit only": "",
}


@pytest.mark.parametrize("recorder", [True, False], ids=["handler", "no handler"])
@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_columnar_and_per_point_agree(name, recorder, monkeypatch):
    script = BASE.format(extra=SCENARIOS[name])
    if name == "crit only":
        script = script.replace('.info(lambda: "value" > 40)\n', "").replace(
            '.warn(lambda: "value" > 60)\n', ""
        )
    writes = [body(300), body(200, seed=11, start=31537000)]
    fast, used = await run(
        script, writes, recorder=recorder, columnar=True, monkeypatch=monkeypatch
    )
    slow, _ = await run(script, writes, recorder=recorder, columnar=False, monkeypatch=monkeypatch)
    assert fast == slow
    assert fast["stats"]["alerts_triggered"] > 5
    if name not in ("id with tags", "shared id"):
        assert used and all(used), "the columnar path was not taken"


async def test_rows_the_columns_cannot_settle_go_point_by_point(monkeypatch):
    """A row without the field: the per-point code counts its error; results stay identical."""
    script = BASE.format(extra="")
    lines = body(100).split("\n")
    lines[40] = "cpu,host=h1,dc=d0 other=1 31536040"
    writes = ["\n".join(lines)]
    fast, used = await run(script, writes, recorder=True, columnar=True, monkeypatch=monkeypatch)
    slow, _ = await run(script, writes, recorder=True, columnar=False, monkeypatch=monkeypatch)
    assert fast == slow
    assert fast["stats"]["errors"] > 0  # counted by the per-point code, as before
    assert used == [False]


async def test_stateful_lambdas_stay_point_by_point(monkeypatch):
    script = BASE.format(extra="").replace('"value" > 90', 'count("value") > 50')
    writes = [body(120)]
    fast, used = await run(script, writes, recorder=True, columnar=True, monkeypatch=monkeypatch)
    slow, _ = await run(script, writes, recorder=True, columnar=False, monkeypatch=monkeypatch)
    assert fast == slow
    assert used == [False]


def test_lazy_texts_render_once_and_match_the_eager_texts():
    from kapacitrio.alerting.event import EventState

    calls = []

    def render():
        calls.append(1)
        return "m", "d"

    state = EventState("id", time=1, level=2, texts=render)
    assert not state.rendered and calls == []
    assert (state.message, state.details, state.message) == ("m", "d", "m")
    assert calls == [1]
    assert state == EventState("id", "m", "d", 1, 0, 2)


async def test_unread_events_are_never_rendered(monkeypatch):
    """No handler, no feed: only each ID's last state exists, rendered when the topic is read."""
    from kapacitrio.engine.nodes import _alert_events

    rendered = []
    original = _alert_events.EventMaker.texts

    def counting(self, *args):
        rendered.append(args[0])
        return original(self, *args)

    monkeypatch.setattr(_alert_events.EventMaker, "texts", counting)
    fast, used = await run(
        BASE.format(extra=""), [body(300)], recorder=False, columnar=True, monkeypatch=monkeypatch
    )
    assert all(used)
    assert fast["stats"]["alerts_triggered"] > 50
    assert sorted(rendered) == ["cpu:host=h0", "cpu:host=h1", "cpu:host=h2"]  # read by `states`
    assert fast["collected"] == fast["stats"]["alerts_triggered"]


ROUTED = """
stream
    |from().measurement('cpu')
    |where(lambda: "host" == 'h1')
    |alert()
        .info(lambda: "value" > 40)
        .warn(lambda: "value" > 60)
        .crit(lambda: "value" > 90)
        .topic('out')
"""


async def test_routed_rows_take_their_levels_from_the_whole_write(monkeypatch):
    """Behind a routed `where`, the alert's levels come from the whole write's (shared by every
    task); a write whose other rows the columns cannot settle (a string value on another
    host) makes the task's rows be levelled on their own. Both as point by point."""
    mixed = "\n".join(
        [body(100, seed=5, start=62000000), 'cpu,host=h2 value="x" 62000500', "cpu,host=h3 v=1"]
    )
    writes = [body(300), mixed, body(200, seed=11, start=31537000)]
    fast, used = await run(ROUTED, writes, recorder=True, columnar=True, monkeypatch=monkeypatch)
    slow, _ = await run(ROUTED, writes, recorder=True, columnar=False, monkeypatch=monkeypatch)
    assert fast == slow
    assert fast["stats"]["alerts_triggered"] > 5
    assert used and all(used), "the columnar path was not taken"


@pytest.mark.parametrize("history", [2, 3, 21])
def test_pushed_levels_leave_the_history_as_one_event_at_a_time_does(history):
    from kapacitrio.engine.nodes._alert_options import AlertOptions
    from kapacitrio.engine.nodes._alert_state import GroupState

    opts = AlertOptions({"history": history})
    pushed, stepped = GroupState(opts), GroupState(opts)
    for k in [1, history - 1, history, 2, 5, 1, history, 3][:40]:
        recent = [(k * 7 + j) % 4 for j in range(min(k, history))]
        pushed.push_levels(recent)
        for t, level in enumerate(recent):
            stepped.add_event(t, level, opts)
        assert (pushed.history, pushed.idx, pushed.current) == (
            stepped.history,
            stepped.idx,
            stepped.current,
        )


def steady_writes() -> list[str]:
    """Writes in which every host keeps one value (one level) per write, changing between
    writes: OK to critical, critical on, down to warning, recovery, and OK on."""
    per_write = [
        [1.5, 99.5, 70.5, 50.5],
        [1.5, 99.5, 70.5, 99.5],
        [99.5, 70.5, 1.5, 99.5],
        [1.5, 1.5, 1.5, 99.5],
        [50.5, 99.5, 99.5, 1.5],
    ]
    out = []
    for w, values in enumerate(per_write):
        start = 31536000 + w * 100
        lines = [
            f"cpu,host=h{h},dc=d{h % 2} value={values[h]} {start + i * 4 + h}"
            for i in range(12)
            for h in range(4)
        ]
        out.append("\n".join(lines))
    return out


@pytest.mark.parametrize(
    "name", ["default", "state changes only", "no recoveries", "augmented", "custom message"]
)
async def test_groups_at_one_level_per_write_agree_with_per_point(name, monkeypatch):
    from kapacitrio.engine.nodes import _alert_chunk

    uniform = []
    real = _alert_chunk.walk_uniform

    def spy(st, opts, level, t):
        uniform.append(level)
        return real(st, opts, level, t)

    monkeypatch.setattr(_alert_chunk, "walk_uniform", spy)
    script = BASE.format(extra=SCENARIOS[name])
    writes = steady_writes()
    fast, used = await run(script, writes, recorder=True, columnar=True, monkeypatch=monkeypatch)
    slow, _ = await run(script, writes, recorder=True, columnar=False, monkeypatch=monkeypatch)
    assert fast == slow
    assert used and all(used)
    assert {0, 2, 3} <= set(uniform) and len(uniform) == 4 * len(writes)
    assert any(e[5] > 0 for e in fast["events"]), "no alert lasted across writes"


@pytest.mark.parametrize("sco", [False, True], ids=["every level", "state changes only"])
def test_the_row_by_row_walk_equals_the_array_walk(sco):
    import numpy as np

    from kapacitrio.engine.nodes._alert_chunk import walk_arrays, walk_rows
    from kapacitrio.engine.nodes._alert_options import AlertOptions
    from kapacitrio.engine.nodes._alert_state import GroupState

    opts = AlertOptions({"history": 5, "stateChangesOnly": sco})
    rng = np.random.default_rng(3)
    by_rows, by_arrays = GroupState(opts), GroupState(opts)
    t0 = 0
    for n in [1, 2, 7, 50, 64, 3, 200, 1, 33]:
        lv = rng.choice([0, 0, 1, 2, 3], n).astype(np.int8)
        t = t0 + np.arange(n, dtype=np.int64) * S
        t0 += n * S
        got, want = walk_rows(by_rows, opts, lv, t), walk_arrays(by_arrays, opts, lv, t)
        assert [a.tolist() for a in got] == [a.tolist() for a in want]
        assert got[0].dtype == want[0].dtype == np.int64
        for attr in ("history", "idx", "first_triggered", "last_triggered"):
            assert getattr(by_rows, attr) == getattr(by_arrays, attr), attr
    assert by_rows.last_triggered > 0
