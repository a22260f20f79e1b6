"""Memory per buffered point: one task holding 1M points of 100 series in one grouped 1h window."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from bench_drained import Drain, define_tasks, kapacitrio_round
from bench_procs import kapacitrio_server, rss_bytes
from bench_workload import BodyMaker, TaskDef

HOUR_S = 3600


@dataclass
class MemoryResult:
    points: int
    rss_before: int
    rss_after: int
    emitted: int

    @property
    def per_point(self) -> float:
        return (self.rss_after - self.rss_before) / self.points

    def line(self) -> str:
        return (
            f"memory per buffered point: {self.per_point:.0f} B ({self.points:,} points of 100 series "
            f"in one groupBy('host') 1h window; server RSS {self.rss_before / 2**20:.0f} -> "
            f"{self.rss_after / 2**20:.0f} MiB; windows emitted meanwhile: {self.emitted})"
        )


def run_memory(total: int, points: int, log: Any) -> MemoryResult:
    """Fill the window with `total` points (3 ms apart: under an hour), after one warm-up body."""
    task = TaskDef("buffer_0", "Buffer")
    start = 1_600_000_000 // HOUR_S * HOUR_S
    maker = BodyMaker(start_s=start, step_ns=HOUR_S * 10**9 // 1_200_000)
    with kapacitrio_server() as kap, httpx.Client(timeout=600) as client:
        define_tasks(client, kap, [task])
        drain = Drain(kap, [task])
        bodies, counts = maker.bodies(1, points)  # groups, caches and code paths exist from here
        kapacitrio_round(client, drain, bodies, counts)
        before = rss_bytes(kap.pid)
        sent = 0
        while sent < total - points:
            bodies, counts = maker.bodies(
                max(1, min(20, (total - points - sent) // points)), points
            )
            kapacitrio_round(client, drain, bodies, counts)
            sent += counts.points
        after = rss_bytes(kap.pid)
        emitted = drain.stats(client)[task.id]["window2"]["emitted"]
    log(f"  memory: {sent + points:,} points buffered")
    return MemoryResult(sent, before, after, emitted)
