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
from kapacitrio.engine.taskmaster import open_taskmaster  # noqa: E402
from kapacitrio.gcpolicy import tune_for_server  # noqa: E402
from kapacitrio.models.lpcolumns import parse_chunk  # noqa: E402
from kapacitrio.pipeline.build import compile_task  # noqa: E402

WARM_UP = 10


async def drained(tm: object) -> None:
    for t in tm.tasks.values():  # type: ignore[attr-defined]
        while any(len(node.recv._state.data) for node in t.nodes.values()):
            await trio.sleep(0)
    await trio.testing.wait_all_tasks_blocked()


async def main(kind: str, n: int, bodies: int, points: int) -> None:
    async with open_taskmaster(WallClock()) as tm:
        for i in range(n):
            script = SCRIPTS[kind].format(m="m1", host=f"server{i:03d}")
            await tm.start_task(f"t{i}", compile_task(script, "stream"), [("bench", "autogen")])
        tune_for_server()  # the server's collector settings, after its tasks started
        by_meas, wild = tm.router.table("bench", "autogen")
        raw, _ = BodyMaker(join=kind == "Join").bodies(bodies + WARM_UP, points)
        chunks = [parse_chunk(b, 1, 0, "bench", "autogen", lambda m: True) for b in raw]
        costs = []
        for chunk in chunks:
            c0 = time.thread_time_ns()
            parts, _ = split_chunk(chunk, by_meas, wild, tm.router.conditions)
            for targets, part in parts:
                for task in targets:
                    await task.write_points(part)
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
