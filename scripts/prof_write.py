"""In-process profile of `TaskMaster.write`: KIND NTASKS [MEASUREMENT] [--time] [--points=N] [--gc]."""

from __future__ import annotations

import cProfile
import pstats
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


async def main(kind: str, n: int, meas: str, profile: bool, points: int) -> None:
    async with open_taskmaster(WallClock()) as tm:
        for i in range(n):
            p = compile_task(SCRIPTS[kind].format(m=meas, host=f"server{i:03d}"), "stream")
            await tm.start_task(f"t{i}", p, [("bench", "autogen")])
        bodies, _ = BodyMaker(join=kind == "Join").bodies(4, points)
        if "--gc" in sys.argv:  # the server's collector settings
            tune_for_server()
        per_body = bodies[0].count(b"\n") + 1
        pr = cProfile.Profile()
        t0 = time.perf_counter()
        c0 = time.process_time()
        if profile:
            pr.enable()
        sent = 0
        for b in bodies * max(3, 15000 // points):
            await tm.write("bench", "autogen", "ns", b)
            sent += per_body
            await trio.sleep(0)
        for t in tm.tasks.values():  # drain: wait until every node has seen every point
            while any(len(node.recv._state.data) for node in t.nodes.values()):
                await trio.sleep(0)
        pr.disable()
        dt = time.perf_counter() - t0
        cpu = time.process_time() - c0
        print(f"{kind} x{n} ({meas}): {sent / dt:,.0f} points/s wall, {sent / cpu:,.0f} per CPU s")
        if profile:
            pstats.Stats(pr).sort_stats(
                "cumtime" if "--cum" in sys.argv else "tottime"
            ).print_stats(
                int(next((a.split("=")[1] for a in sys.argv if a.startswith("--top=")), 18))
            )


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    trio.run(
        main,
        args[0],
        int(args[1]),
        args[2] if len(args) > 2 else "m1",
        "--time" not in sys.argv,
        int(next((a.split("=")[1] for a in sys.argv if a.startswith("--points=")), 5000)),
    )
