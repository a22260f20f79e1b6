"""Cluster benchmark: 100 Alert tasks on one clustered instance, then spread over two.

Each configuration gets a fresh single-node `nats-server -js` and fresh `kapacitrio serve`
instances on loopback (clustering on, short heartbeats), defines the tasks through the first
instance and waits until placement has started every one. A round posts fresh 5000-point bodies
(round robin over the instances) and stops the clock once every task's `alert2` node has collected
every point (the drained measure of `bench_drained.py`, summed over the instances). The report gives
each configuration's median points per second and the ratio of two instances to one.

    .venv/bin/python scripts/bench_cluster.py [--tasks 100] [--rounds 5] [--points 5000]

`--checkpoint-pause` runs `bench_checkpoint.py` instead: how long the event loop stalls while
100 alert tasks with 100 CRITICAL groups each checkpoint.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from bench_drained import post_all
from bench_procs import free_port, kapacitrio_server
from bench_workload import BodyMaker, TaskDef

WRITE = {"db": "bench", "rp": "autogen"}


@contextlib.contextmanager
def nats_server() -> Iterator[str]:
    port = free_port()
    binary = shutil.which("nats-server") or "/usr/sbin/nats-server"
    with tempfile.TemporaryDirectory() as store:
        proc = subprocess.Popen(
            [binary, "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", store],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(0.5)
            yield f"nats://127.0.0.1:{port}"
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def instance(name: str, nats: str) -> Iterator[tuple[str, int]]:
    cluster = {
        "KAPACITOR_CLUSTER_ENABLED": "true",
        "KAPACITOR_CLUSTER_NATS_URLS": nats,
        "KAPACITOR_CLUSTER_NAME": name,
        "KAPACITOR_CLUSTER_HEARTBEAT": "0.5s",
        "KAPACITOR_CLUSTER_LEASE": "3s",
    }
    with kapacitrio_server(settings=cluster) as server:
        yield server.url, server.pid


def collected(client: httpx.Client, urls: list[str]) -> dict[str, int]:
    """`alert2` collected per task, from the instance that runs it."""
    out: dict[str, int] = {}
    for url in urls:
        r = client.get(
            f"{url}/kapacitor/v1/tasks",
            params={"fields": ["stats", "executing"], "limit": 100000},
        )
        r.raise_for_status()
        for t in r.json()["tasks"]:
            if t.get("executing"):
                out[t["id"]] = t["stats"]["node-stats"]["alert2"]["collected"]
    return out


def placement(client: httpx.Client, url: str, n_tasks: int) -> dict[str, int]:
    """Tasks per member, from the members' records (which follow their heartbeats)."""
    deadline = time.monotonic() + 10
    while True:
        status = client.get(f"{url}/kapacitor/v1preview/cluster").json()
        per_instance = {m["name"]: len(m["tasks"]) for m in status["members"]}
        if sum(per_instance.values()) >= n_tasks or time.monotonic() > deadline:
            return per_instance
        time.sleep(0.2)


def wait_drained(client: httpx.Client, urls: list[str], tasks: list[str], want: int, t0: float):
    while True:
        got = collected(client, urls)
        now = time.perf_counter()
        if len(got) == len(tasks) and all(got[t] >= want for t in tasks):
            return now
        if now - t0 > 900:
            raise RuntimeError("not drained after 900 s")
        time.sleep(max(0.01, 0.02 * (now - t0)))


def run_config(
    n_instances: int, n_tasks: int, rounds: int, points: int, log
) -> tuple[list[float], list[float]]:
    """Drained points per second of each round, and each instance's CPU seconds over the rounds."""
    with contextlib.ExitStack() as stack:
        nats = stack.enter_context(nats_server())
        procs = [stack.enter_context(instance(f"i{i}", nats)) for i in range(n_instances)]
        urls = [u for u, _ in procs]
        client = stack.enter_context(httpx.Client(timeout=900))
        tasks = [TaskDef(f"alert_{i}", "Alert") for i in range(n_tasks)]
        for t in tasks:
            r = client.post(
                f"{urls[0]}/kapacitor/v1/tasks",
                json={
                    "id": t.id,
                    "type": "stream",
                    "dbrps": [{"db": "bench", "rp": "autogen"}],
                    "script": t.script,
                    "status": "enabled",
                },
            )
            r.raise_for_status()
        ids = [t.id for t in tasks]
        deadline = time.monotonic() + 120
        while len(collected(client, urls)) < n_tasks:
            if time.monotonic() > deadline:
                raise RuntimeError("the tasks did not all start")
            time.sleep(0.2)
        per_instance = placement(client, urls[0], n_tasks)
        log(f"  {n_instances} instance(s): tasks per instance {per_instance}")
        maker = BodyMaker()
        sent = 0
        bodies, counts = maker.bodies(2, points)  # warm-up
        post_all(client, f"{urls[0]}/write", WRITE, bodies)
        sent += counts.points
        wait_drained(client, urls, ids, sent, time.perf_counter())
        rates = []
        cpu0 = [cpu_seconds(pid) for _, pid in procs]
        for r in range(rounds):
            bodies, counts = maker.bodies(4, points)
            t0 = time.perf_counter()
            for i, body in enumerate(bodies):
                post_all(client, f"{urls[i % len(urls)]}/write", WRITE, [body])
            sent += counts.points
            t1 = wait_drained(client, urls, ids, sent, t0)
            rates.append(counts.points / (t1 - t0))
            log(f"  {n_instances} instance(s) round {r + 1}: {rates[-1]:,.0f} p/s")
        cpu = [cpu_seconds(pid) - c for (_, pid), c in zip(procs, cpu0, strict=True)]
        return rates, cpu


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tasks", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--points", type=int, default=5000)
    ap.add_argument("--checkpoint-pause", action="store_true", help="see bench_checkpoint.py")
    args, rest = ap.parse_known_args(argv)
    if args.checkpoint_pause:
        import bench_checkpoint

        return bench_checkpoint.main(["--tasks", str(args.tasks), *rest])

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    one, cpu1 = run_config(1, args.tasks, args.rounds, args.points, log)
    two, cpu2 = run_config(2, args.tasks, args.rounds, args.points, log)
    m1, m2 = statistics.median(one), statistics.median(two)
    total = args.rounds * 4 * args.points / 1e6

    def cpu_text(cpu: list[float]) -> str:
        return " + ".join(f"{c / total:.1f}" for c in cpu)

    print(
        f"| instances | tasks | median p/s (drained, {args.rounds} rounds) "
        "| CPU s per million points, per instance |"
    )
    print("| ---: | ---: | ---: | ---: |")
    print(f"| 1 | {args.tasks} | {m1:,.0f} | {cpu_text(cpu1)} |")
    print(f"| 2 | {args.tasks} | {m2:,.0f} | {cpu_text(cpu2)} |")
    print(f"\n2 instances / 1 instance: {m2 / m1:.2f} (on {os.cpu_count()} CPUs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
