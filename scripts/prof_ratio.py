"""In-process CPU cost per body of two task sets, alternated: KIND:N KIND:N [--points=N] [--rounds=N]."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import trio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_workload import SCRIPTS, BodyMaker  # noqa: E402

from kapacitrio.engine.clock import WallClock  # noqa: E402
from kapacitrio.engine.taskmaster import open_taskmaster  # noqa: E402
from kapacitrio.gcpolicy import tune_for_server  # noqa: E402
from kapacitrio.pipeline.build import compile_task  # noqa: E402


async def drained(tm: object) -> None:
    for t in tm.tasks.values():  # type: ignore[attr-defined]
        while any(len(node.recv._state.data) for node in t.nodes.values()):
            await trio.sleep(0)


async def cost(tm: object, body: bytes) -> float:
    c0 = time.thread_time()
    await tm.write("bench", "autogen", "ns", body)  # type: ignore[attr-defined]
    await drained(tm)
    return time.thread_time() - c0


async def main(specs: list[tuple[str, int]], points: int, rounds: int) -> None:
    async with open_taskmaster(WallClock()) as a, open_taskmaster(WallClock()) as b:
        tms = [a, b]
        for tm, (kind, n) in zip(tms, specs, strict=True):
            for i in range(n):
                script = SCRIPTS[kind].format(m="m1", host=f"server{i:03d}")
                await tm.start_task(f"t{i}", compile_task(script, "stream"), [("bench", "autogen")])
        tune_for_server()  # the server's collector settings, after its tasks started
        maker = BodyMaker(join=any(k == "Join" for k, _ in specs))
        costs: list[list[float]] = [[], []]
        for r in range(rounds):
            bodies, _ = maker.bodies(2, points)
            for j in (0, 1) if r % 2 == 0 else (1, 0):
                for body in bodies:
                    costs[j].append(await cost(tms[j], body))
        for (kind, n), c in zip(specs, costs, strict=True):
            med = statistics.median(c[2:])
            print(f"{kind} x{n}: {med * 1000:.2f} ms CPU per body, {points / med:,.0f} p/CPU s")
        print(f"ratio {statistics.median(costs[0][2:]) / statistics.median(costs[1][2:]):.3f}")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    opts = dict(a[2:].split("=") for a in sys.argv[1:] if a.startswith("--"))
    trio.run(
        main,
        [(a.split(":")[0], int(a.split(":")[1])) for a in args],
        int(opts.get("points", 5000)),
        int(opts.get("rounds", 10)),
    )
