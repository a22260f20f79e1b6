"""Bytes per buffered point: one grouped 1h window holding N points of S series, via tracemalloc.

Usage: mem_window.py [--points=1000000] [--series=100] [--rows]
`--rows` sends built points (the point-by-point path) instead of line-protocol writes.
"""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc
from pathlib import Path

import trio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kapacitrio.engine.clock import VirtualClock  # noqa: E402
from kapacitrio.engine.taskmaster import open_taskmaster  # noqa: E402
from kapacitrio.models.lineprotocol import parse_lines  # noqa: E402
from kapacitrio.pipeline.build import compile_task  # noqa: E402

SCRIPT = "stream|from().measurement('m').groupBy('host')|window().period(1h).every(1h)"
BODY = 5000


def _arg(name: str, default: int) -> int:
    return int(next((a.split("=")[1] for a in sys.argv if a.startswith(f"--{name}=")), default))


async def main(points: int, series: int, rows: bool) -> None:
    t0 = 1_700_000_000 * 10**9
    async with open_taskmaster(VirtualClock(t0)) as tm:
        task = await tm.start_task("mem", compile_task(SCRIPT, "stream"), [("db", "rp")])
        bodies = []
        step = 3_000 * 10**9 // points  # every point inside the first hour
        for start in range(0, points, BODY):
            lines = [
                f"m,host=server{i % series:03d} value={i * 0.5} {t0 + i * step}"
                for i in range(start, min(points, start + BODY))
            ]
            bodies.append("\n".join(lines).encode())
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        started = time.perf_counter()
        for body in bodies:
            if rows:
                await tm.write_points("db", "rp", parse_lines(body, "n", 0, "db", "rp"))
            else:
                await tm.write("db", "rp", "n", body)
            await trio.sleep(0)
        wnode = next(n for n in task.nodes.values() if n.spec.kind == "window")
        while wnode.collected < points:  # drained: the window has seen every point
            await trio.sleep(0)
        elapsed = time.perf_counter() - started
        del bodies
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        window = next(iter(task.runtimes("window")))
        held = sum(len(w.buf) if hasattr(w, "buf") else len(w) for w in window.groups.values())
        mode = "rows" if rows else ("columns" if window.col_mode else "rows (demoted)")
        print(
            f"{mode}: {held:,} points buffered in {len(window.groups)} groups, "
            f"{(after - before) / max(held, 1):.1f} bytes per buffered point "
            f"({(after - before) / 2**20:.1f} MiB), written in {elapsed:.1f} s"
        )


if __name__ == "__main__":
    trio.run(main, _arg("points", 1_000_000), _arg("series", 100), "--rows" in sys.argv)
