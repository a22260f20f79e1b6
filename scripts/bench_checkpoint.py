"""Checkpoint pause: how long a member's event loop stalls while its alert tasks checkpoint.

Runs in process against a fresh `nats-server -js`: one TaskMaster with `--tasks` Alert tasks, each
fed through its cluster `Feed` and holding `--groups` groups, all CRITICAL (so every group is in
the node snapshot). A trickle of writes keeps every task checkpointing each interval; a watchdog
task sleeping 1 ms records how late it wakes (the longest stall of the Trio loop), and every
checkpoint's snapshot and save are timed, first with every task checkpointing at the same
moment, then with the checkpoints spread over the interval (as the feeds do). Reported: stall percentiles and maximum while idle and
while checkpointing, and per-checkpoint snapshot/save times and sizes.

    .venv/bin/python scripts/bench_checkpoint.py [--tasks 100] [--groups 100] [--seconds 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from typing import Any

import trio
from bench_cluster import nats_server

from kapacitrio.cluster import statestore
from kapacitrio.cluster.config import ClusterConfig
from kapacitrio.cluster.ingest import Feed, Ingest
from kapacitrio.cluster.link import NatsLink
from kapacitrio.engine import snapshot as snapshot_mod
from kapacitrio.engine.clock import WallClock
from kapacitrio.engine.taskmaster import open_taskmaster
from kapacitrio.tasks.compiling import compile_doc

DBRP = ("bench", "autogen")
ENCODE = statestore.encode


def script(i: int) -> str:
    return (
        f"stream\n  |from()\n    .measurement('m{i}')\n    .groupBy('host')\n"
        '  |alert()\n    .warn(lambda: "value" > 50)\n    .crit(lambda: "value" > 90)\n'
    )


def body(i: int, groups: int, now: int) -> bytes:
    return "\n".join(f"m{i},host=h{g} value=99 {now + g}" for g in range(groups)).encode()


class Timings:
    def __init__(self) -> None:
        self.snapshot: list[float] = []
        self.save: list[float] = []
        self.sizes: list[int] = []
        self.stalls: list[float] = []
        self.recording = False
        #: The synchronous parts (run on the loop without a pause): taking and encoding the state.
        self.take: list[float] = []
        self.encode: list[float] = []


def time_sync_parts(t: Timings) -> None:
    """Time the synchronous parts of a checkpoint (taking the node state, encoding it)."""
    take, encode = snapshot_mod.take, statestore.encode

    def timed_take(task: Any) -> Any:
        t0 = time.perf_counter()
        out = take(task)
        if t.recording:
            t.take.append(time.perf_counter() - t0)
        return out

    def timed_encode(doc: dict[str, Any]) -> bytes:
        t0 = time.perf_counter()
        out = encode(doc)
        if t.recording:
            t.encode.append(time.perf_counter() - t0)
        return out

    snapshot_mod.take = timed_take
    statestore.encode = timed_encode


def instrument(feed: Feed, t: Timings) -> None:
    """Time each snapshot and save of one feed (bench only: wraps the instance's methods)."""
    snapshot, save = feed._snapshot, feed._save

    async def timed_snapshot() -> Any:
        t0 = time.perf_counter()
        out = await snapshot()
        if t.recording:
            t.snapshot.append(time.perf_counter() - t0)
        return out

    async def timed_save(seq: int, msg: Any, nodes: Any = None) -> None:
        t0 = time.perf_counter()
        await save(seq, msg, nodes)
        if t.recording:
            t.save.append(time.perf_counter() - t0)
            t.sizes.append(len(ENCODE({"seq": seq, "task": feed.task_id, "nodes": nodes})))

    feed._snapshot = timed_snapshot  # type: ignore[method-assign]
    feed._save = timed_save  # type: ignore[method-assign]


async def watchdog(t: Timings, stalls: list[float]) -> None:
    while True:
        t0 = time.perf_counter()
        await trio.sleep(0.001)
        stalls.append(time.perf_counter() - t0 - 0.001)


def pct(xs: list[float], q: float) -> float:
    return sorted(xs)[min(len(xs) - 1, int(q * len(xs)))] if xs else 0.0


async def run(args: argparse.Namespace, url: str, aligned: bool) -> None:
    cfg = ClusterConfig(enabled=True, nats_urls=[url], prefix=f"ckbench{int(aligned)}")
    phase = Feed._phase
    if aligned:  # every task checkpoints at the same moment (as before phases were spread)
        Feed._phase = lambda self: 0.0  # type: ignore[method-assign]
    link = NatsLink(cfg, "bench")
    t = Timings()
    time_sync_parts(t)
    async with trio.open_nursery() as outer:
        await outer.start(link.run)
        async with open_taskmaster(WallClock()) as tm:
            ingest = Ingest(link, time.time_ns, args.interval, 0.2, "bench")
            async with trio.open_nursery() as nursery:
                for i in range(args.tasks):
                    task_id = f"alert_{i}"
                    await tm.start_task(task_id, compile_doc(script(i), "stream", {}), [DBRP])
                    feed = Feed(ingest, tm, task_id, [DBRP], {f"m{i}"}, time.time_ns() - 10**9)
                    instrument(feed, t)
                    await nursery.start(feed.run)
                for i in range(args.tasks):  # every group CRITICAL
                    await ingest.publish(*DBRP, "n", body(i, args.groups, time.time_ns()))
                await trio.sleep(3 * args.interval)  # the first checkpoints (all groups new)
                idle: list[float] = []
                with trio.move_on_after(args.interval * 0.9):
                    await watchdog(t, idle)  # nothing handed over since: no checkpoints
                busy: list[float] = []
                t.recording = True
                nursery.start_soon(watchdog, t, busy)
                deadline = trio.current_time() + args.seconds
                while trio.current_time() < deadline:  # one point per task per interval
                    now = time.time_ns()
                    lines = "\n".join(
                        f"m{i},host=h{i % args.groups} value=99 {now}" for i in range(args.tasks)
                    )
                    for i in range(args.tasks):
                        await ingest.publish(*DBRP, "n", lines.split("\n")[i].encode())
                    await trio.sleep(args.interval)
                t.recording = False
                nursery.cancel_scope.cancel()
        outer.cancel_scope.cancel()
    Feed._phase = phase  # type: ignore[method-assign]
    ms = 1e3
    print(f"\n### checkpoints {'all at once' if aligned else 'spread over the interval'}")
    print(
        f"{args.tasks} alert tasks x {args.groups} groups CRITICAL, checkpoint every {args.interval}s"
    )
    print("| loop stall (ms) | median | p99 | max |")
    print("| --- | ---: | ---: | ---: |")
    for name, xs in (("idle", idle), ("checkpointing", busy)):
        print(
            f"| {name} | {pct(xs, 0.5) * ms:.2f} | {pct(xs, 0.99) * ms:.2f} | {max(xs) * ms:.1f} |"
        )
    print(f"\ncheckpoints: {len(t.save)} saved, {len(t.snapshot)} snapshots")
    for name, xs in (("take the node state", t.take), ("encode it", t.encode)):
        if xs:
            print(
                f"{name} (ms, on the loop): median {statistics.median(xs) * ms:.2f}, "
                f"max {max(xs) * ms:.1f}"
            )
    if t.snapshot and t.save:
        print(
            f"snapshot (ms): median {statistics.median(t.snapshot) * ms:.2f}, "
            f"max {max(t.snapshot) * ms:.1f}; save incl. encode+KV put (ms): median "
            f"{statistics.median(t.save) * ms:.2f}, max {max(t.save) * ms:.1f}; "
            f"size: median {statistics.median(t.sizes) / 1024:.1f} KiB"
        )
        per_round = (sum(t.snapshot) + sum(t.save)) / max(1, len(t.save)) * args.tasks
        print(f"all {args.tasks} tasks' checkpoints, summed per round: {per_round * ms:.0f} ms")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tasks", type=int, default=100)
    ap.add_argument("--groups", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--interval", type=float, default=1.0)
    args = ap.parse_args(argv)
    from kapacitrio import logs

    logs.set_level("warn")
    with nats_server() as url:
        for aligned in (True, False):
            trio.run(run, args, url, aligned)
    return 0


if __name__ == "__main__":
    sys.exit(main())
