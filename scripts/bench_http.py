"""Throughput matrix over HTTP: a live kapacitrio server, and InfluxDB's own /write rate beside it.

For each task kind (Simple, Count, Alert, Join), each number of tasks and each number of points
per write, the matrix defines the tasks on a freshly started server, posts line-protocol bodies to
`/write` for a bounded time, and reports points per second. When `influxd` is on the PATH, an
InfluxDB is started on loopback and the same bodies are posted to its `/write`, giving each cell a
ratio to InfluxDB's rate. A last row runs many Simple tasks whose measurement never matches, to show
that routing cost does not grow with tasks that do not want the points.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

TASK_SCRIPTS = {
    "Simple": "stream\n    |from()\n        .measurement('{m}')\n",
    "Count": (
        "stream\n    |from()\n        .measurement('{m}')\n    |window()\n        .period(100s)\n"
        "        .every(100s)\n    |count('value')\n"
    ),
    "Alert": (
        "stream\n    |from()\n        .measurement('{m}')\n    |alert()\n"
        "        .id('{{{{ .Name }}}}')\n"
        '        .info(lambda: "value" > 60.0)\n'
        '        .warn(lambda: "value" > 80.0)\n'
        '        .crit(lambda: "value" > 95.0)\n'
    ),
    "Join": (
        "var a = stream\n    |from()\n        .measurement('{m}')\n"
        "var b = stream\n    |from()\n        .measurement('{m}b')\n"
        "a\n    |join(b)\n        .as('a', 'b')\n"
        '    |eval(lambda: "a.value" + "b.value")\n        .as(\'sum\')\n'
    ),
}

HOSTS = [f"server{i:02d}" for i in range(10)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, deadline_s: float = 30.0) -> None:
    """Poll `url` until it answers with a 2xx status."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1.0).is_success:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


@contextlib.contextmanager
def kapacitrio_server() -> Iterator[str]:
    """Start `kapacitrio serve` on a free port with a temporary data dir; yield its base URL."""
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        env = dict(
            os.environ,
            KAPACITOR_HTTP_BIND_ADDRESS=f"127.0.0.1:{port}",
            KAPACITOR_DATA_DIR=data_dir,
            KAPACITOR_LOGGING_LEVEL="ERROR",
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "kapacitrio", "serve"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_http(f"{base}/kapacitor/v1/ping")
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=30)


@contextlib.contextmanager
def influxdb_server() -> Iterator[str | None]:
    """Start Debian's influxd on loopback if it is installed; yield its base URL or None."""
    influxd = shutil.which("influxd") or (
        "/usr/bin/influxd" if os.path.exists("/usr/bin/influxd") else None
    )
    if influxd is None:
        yield None
        return
    http_port, rpc_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as root:
        conf = os.path.join(root, "influxdb.conf")
        with open(conf, "w") as f:
            f.write(
                f'reporting-disabled = true\nbind-address = "127.0.0.1:{rpc_port}"\n'
                f'[meta]\n  dir = "{root}/meta"\n'
                f'[data]\n  dir = "{root}/data"\n  wal-dir = "{root}/wal"\n  query-log-enabled = false\n'
                f'[http]\n  bind-address = "127.0.0.1:{http_port}"\n  log-enabled = false\n'
                "[monitor]\n  store-enabled = false\n"
            )
        proc = subprocess.Popen(
            [influxd, "-config", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        base = f"http://127.0.0.1:{http_port}"
        try:
            wait_http(f"{base}/ping")
            httpx.post(f"{base}/query", params={"q": "CREATE DATABASE bench"}).raise_for_status()
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def make_bodies(kind: str, points: int, count: int, start_s: int) -> list[bytes]:
    """`count` line-protocol bodies of `points` points each, one second of data time per point."""
    bodies = []
    t = start_s
    for _ in range(count):
        lines = []
        for i in range(points):
            host = HOSTS[i % len(HOSTS)]
            value = (i * 7919) % 100 + 0.5
            lines.append(f"m1,host={host} value={value} {t}")
            if kind == "Join":
                lines.append(f"m1b,host={host} value={value} {t}")
            t += 1
        bodies.append("\n".join(lines).encode())
    return bodies


def post_rate(url: str, params: dict[str, str], bodies: list[bytes], seconds: float) -> float:
    """Post bodies in turn for about `seconds` (at least one each); return points per second."""
    per_body = bodies[0].count(b"\n") + 1
    sent = 0
    with httpx.Client(timeout=120.0) as client:
        started = time.perf_counter()
        i = 0
        while True:
            r = client.post(url, params=params, content=bodies[i % len(bodies)])
            r.raise_for_status()
            sent += per_body
            i += 1
            elapsed = time.perf_counter() - started
            if elapsed >= seconds and i >= len(bodies):
                return sent / elapsed


def define_tasks(base: str, kind: str, n: int, measurement: str) -> list[str]:
    ids = []
    with httpx.Client(timeout=60.0) as client:
        for i in range(n):
            task_id = f"bench_{kind}_{i}"
            r = client.post(
                f"{base}/kapacitor/v1/tasks",
                json={
                    "id": task_id,
                    "type": "stream",
                    "dbrps": [{"db": "bench", "rp": "autogen"}],
                    "script": TASK_SCRIPTS[kind].format(m=measurement),
                    "status": "enabled",
                },
            )
            if r.status_code != 200:
                raise RuntimeError(f"defining {task_id} failed: {r.status_code} {r.text}")
            ids.append(task_id)
    return ids


def delete_tasks(base: str, ids: list[str]) -> None:
    with httpx.Client(timeout=60.0) as client:
        for task_id in ids:
            client.delete(f"{base}/kapacitor/v1/tasks/{task_id}")


@dataclass
class Cell:
    kind: str
    tasks: int
    points: int
    rate: float
    influx_rate: float | None

    def row(self) -> str:
        ratio = f"{self.rate / self.influx_rate:6.2f}" if self.influx_rate else "     -"
        influx = f"{self.influx_rate:12,.0f}" if self.influx_rate else "           -"
        return f"| {self.kind:<14} | {self.tasks:>5} | {self.points:>6} | {self.rate:12,.0f} | {influx} | {ratio} |"


HEADER = (
    "| task           | tasks | points | kapacitrio p/s | InfluxDB p/s | ratio |\n"
    "|----------------|------:|-------:|---------------:|-------------:|------:|"
)


def run_matrix(args: argparse.Namespace) -> int:
    kinds = args.kinds.split(",")
    task_counts = [int(x) for x in args.tasks.split(",")]
    point_counts = [int(x) for x in args.points.split(",")]
    cells: list[Cell] = []
    print(HEADER, flush=True)
    with influxdb_server() as influx:
        influx_rates: dict[tuple[str, int], float] = {}
        for kind in kinds:
            for points in point_counts:
                bodies = make_bodies(kind, points, args.bodies, 31536000)
                if influx:
                    influx_rates[kind, points] = post_rate(
                        f"{influx}/write",
                        {"db": "bench", "precision": "s"},
                        bodies,
                        args.seconds,
                    )
        scenarios = [(kind, n, "m1") for kind in kinds for n in task_counts]
        if "Simple" in kinds:
            # The routing check: one matching task against many that never match.
            scenarios += [("Simple", 1, "m1"), ("Simple", max(task_counts), "nomatch")]
        for kind, n, measurement in scenarios:
            with kapacitrio_server() as base:
                define_tasks(base, kind, n, measurement)
                for points in point_counts:
                    bodies = make_bodies(kind, points, args.bodies, 31536000)
                    rate = post_rate(
                        f"{base}/write",
                        {"db": "bench", "rp": "autogen", "precision": "s"},
                        bodies,
                        args.seconds,
                    )
                    label = kind if measurement == "m1" else f"{kind} no-match"
                    cell = Cell(label, n, points, rate, influx_rates.get((kind, points)))
                    cells.append(cell)
                    print(cell.row(), flush=True)
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("http", help="throughput matrix against a live server over HTTP")
    p.add_argument("--kinds", default="Simple,Count,Alert,Join")
    p.add_argument("--tasks", default="10,100,1000")
    p.add_argument("--points", default="500,5000,50000")
    p.add_argument("--seconds", type=float, default=2.0, help="time per cell")
    p.add_argument("--bodies", type=int, default=4, help="distinct bodies per cell")
    p.set_defaults(run=run_matrix)
