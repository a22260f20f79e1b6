"""The join node's bulk path for two parents' columnar chunks against message-by-message joining."""

from __future__ import annotations

import pytest
import trio

from kapacitrio.engine.clock import VirtualClock
from kapacitrio.engine.nodes.join import JoinNode
from kapacitrio.engine.taskmaster import open_taskmaster
from kapacitrio.pipeline.build import compile_task

SCRIPT = """
var a = stream|from().measurement('m1').groupBy('host')
var b = stream|from().measurement('m1b').groupBy('host')
a|join(b).as('a', 'b'){extra}
    |eval(lambda: "a.value" + "b.value").as('sum').keep()
"""


def body(start: int, n: int, skip: int | None = None) -> str:
    lines = []
    for i in range(n):
        t = start + i
        host = f"h{i % 4}"
        lines.append(f"m1,host={host} value={i * 1.5} {t}")
        if i != skip:
            lines.append(f"m1b,host={host} value={i % 7} {t}")
    return "\n".join(lines)


async def run(script: str, writes: list[str], bulk: bool, monkeypatch) -> tuple[list, dict, list]:
    used = []
    original = JoinNode.merged_chunks

    def spy(self, envelopes):
        n = original(self, envelopes) if bulk else -1
        used.append(n >= 0)
        return n

    monkeypatch.setattr(JoinNode, "merged_chunks", spy)
    out: list = []
    async with open_taskmaster(VirtualClock(0)) as tm:
        task = await tm.start_task("t", compile_task(script, "stream"), [("db", "rp")])
        last = next(n for n in task.nodes if n.startswith("eval"))
        task.nodes[last].rt.watch_output = lambda msgs: out.extend(
            (p.name, dict(p.tags), dict(p.fields), p.time, p.group) for p in msgs
        )
        for w in writes:
            await tm.write("db", "rp", "s", w)
            await trio.sleep(0.01)
        await tm.stop_task("t")
        stats = task.node_stats()
    for s in stats.values():
        s.pop("avg_exec_time_ns")
    return out, stats, used


@pytest.mark.parametrize("extra", ["", ".streamName('j')", ".fill(0.0)"])
async def test_bulk_join_equals_message_by_message(extra, monkeypatch):
    script = SCRIPT.format(extra=extra)
    writes = [body(1000, 200), body(2000, 200), body(3000, 50, skip=7), body(4000, 120)]
    fast, fast_stats, used = await run(script, writes, True, monkeypatch)
    slow, slow_stats, _ = await run(script, writes, False, monkeypatch)
    assert fast == slow
    assert fast_stats == slow_stats
    assert len(fast) > 500
    assert any(used) and not all(used)  # the write with an unmatched point goes point by point
