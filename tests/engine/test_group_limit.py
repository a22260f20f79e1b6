"""`[task] max-groups-per-node`: a node stops opening groups at the limit, counts and logs it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import trio
import trio.testing

from kapacitrio.config import load
from kapacitrio.engine.clock import TrioClock
from kapacitrio.engine.taskmaster import open_taskmaster
from kapacitrio.tasks.compiling import compile_doc
from tests.engine.helpers import T0

SCRIPT = """stream|from().measurement('cpu').groupBy('host')
    |window().period(10s).every(10s)
    |count('value')
    |httpOut('o')"""
# The alert node runs in the writer's inline head (`engine.head`): the limit applies there too.
ALERT = """stream|from().measurement('cpu').groupBy('host')
    |alert().crit(lambda: "value" > 0)"""


def _services(limit: str | None) -> SimpleNamespace:
    env = {} if limit is None else {"KAPACITOR_TASK_MAX_GROUPS_PER_NODE": limit}
    return SimpleNamespace(config=load(None, env=env))


def test_default_limit_is_documented_and_positive():
    assert load(None, env={}).get("task").max_groups_per_node == 100_000


async def _run(
    limit: str | None, hosts: int, autojump_clock, script: str = SCRIPT
) -> tuple[dict, list[dict]]:
    entries: list[dict] = []
    services = _services(limit)
    async with open_taskmaster(TrioClock(T0), services, log_sink=entries.append) as tm:
        await tm.start_task("t", compile_doc(script, "stream", {}), [("db", "rp")])
        body = "\n".join(f"cpu,host=h{i} value=1 {T0 + i}" for i in range(hosts))
        await tm.write("db", "rp", "n", body)
        # points of hosts already known are still taken at the limit
        await tm.write("db", "rp", "n", "cpu,host=h0 value=2 " + str(T0 + 100))
        await trio.testing.wait_all_tasks_blocked()
        return tm.task_info("t")["stats"], entries


@pytest.mark.parametrize(("script", "node"), [(SCRIPT, "window2"), (ALERT, "alert2")])
async def test_new_groups_past_the_limit_are_refused_counted_and_logged(
    autojump_clock, script, node
):
    stats, entries = await _run("3", 50, autojump_clock, script)
    limited = stats[node]
    assert limited["working_cardinality"] == 3
    assert limited["errors"] == 47
    assert limited["collected"] == 4  # three new hosts and h0 again
    errs = [e for e in entries if e["lvl"] == "error" and e["node"] == node]
    assert errs and errs[0]["msg"] == "group limit reached, points of new groups dropped"
    assert errs[0]["limit"] == "3" and errs[0]["dropped"] == "47"


async def test_without_a_limit_every_group_opens(autojump_clock):
    stats, _ = await _run("0", 50, autojump_clock)
    assert stats["window2"]["working_cardinality"] == 50
    assert stats["window2"]["errors"] == 0
