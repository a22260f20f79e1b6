"""CPU to route and deliver one parsed write to N tasks, drained: KIND N [--bodies=N] [--points=N].

The body is parsed beforehand, so the figure is what the tasks add on top of parsing: the router,
every task's inline head and the node coroutines after it, until every channel is empty. The
minimum over the bodies is stable on a busy machine, where medians of whole writes are not.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import trio
import trio.testing

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_workload import SCRIPTS, BodyMaker  # noqa: E402

from kapacitrio.engine.clock import WallClock  # noqa: E402
from kapacitrio.engine.router import split_chunk  # noqa: E402
from kapacitrio.engine.taskmaster import TaskMaster, open_taskmaster  # noqa: E402
from kapacitrio.gcpolicy import tune_for_server  # noqa: E402
from kapacitrio.models.columns import ColumnChunk  # noqa: E402
from kapacitrio.models.lpcolumns import parse_chunk  # noqa: E402
from kapacitrio.pipeline.build import compile_task  # noqa: E402

WARM_UP = 10


async def drained(tm: TaskMaster) -> None:
    for t in tm.tasks.values():
        while any(len(node.recv._state.data) for node in t.nodes.values()):
            await trio.sleep(0)
    await trio.testing.wait_all_tasks_blocked()


async def start_tasks(tm: TaskMaster, kind: str, n: int) -> None:
    """N tasks of a bench kind (Filtered: one host each), then the server's collector settings."""
    for i in range(n):
        script = SCRIPTS[kind].format(m="m1", host=f"server{i:03d}")
        await tm.start_task(f"t{i}", compile_task(script, "stream"), [("bench", "autogen")])
    tune_for_server()


def parsed_bodies(kind: str, count: int, points: int) -> list[ColumnChunk]:
    """Fresh bench bodies, parsed as a write would parse them."""
    raw, _ = BodyMaker(join=kind == "Join").bodies(count, points)
    return [parse_chunk(b, 1, 0, "bench", "autogen", lambda m: True) for b in raw]


async def deliver(tm: TaskMaster, chunk: ColumnChunk) -> None:
    """Route a parsed body and hand every task its part, as `TaskMaster.write` does."""
    by_meas, wild = tm.router.table("bench", "autogen")
    parts, _ = split_chunk(chunk, by_meas, wild, tm.router.conditions)
    for targets, part in parts:
        for task in targets:
            await task.write_points(part)


async def main(kind: str, n: int, bodies: int, points: int) -> None:
    async with open_taskmaster(WallClock()) as tm:
        await start_tasks(tm, kind, n)
        costs = []
        for chunk in parsed_bodies(kind, bodies + WARM_UP, points):
            c0 = time.thread_time_ns()
            await deliver(tm, chunk)
            await drained(tm)
            costs.append(time.thread_time_ns() - c0)
        costs = costs[WARM_UP:]
        print(
            f"{kind} x{n}: min {min(costs) / 1e3:,.0f} us, "
            f"median {statistics.median(costs) / 1e3:,.0f} us CPU per body of {points} points"
        )


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    opts = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--") and "=" in a)
    trio.run(
        main, args[0], int(args[1]), int(opts.get("bodies", 60)), int(opts.get("points", 5000))
    )
