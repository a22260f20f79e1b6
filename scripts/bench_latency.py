"""Alert latency: from the start of a probe's `/write` to the alert's arrival at a local HTTP receiver.

One probe task raises a critical alert for every `probe` point and posts it to a receiver in this
process (h11 on Trio). The probes are sent by a bare h11 client on one kept-alive connection, as a
collector's compiled client would send them, so the figures are the server's and not the cost of a
Python HTTP client building each request. The probes run twice: alone (low load), and beside a
background writer (`bench_loadgen.py`, a process of its own, as a collector is) that posts
5000-point bodies to load tasks at about half of the maximum drained rate measured for those tasks
on the same server just before. Every probe carries a sequence number, so a lost or repeated alert
is counted, not guessed.
"""

from __future__ import annotations

import contextlib
import json
import math
import pickle
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import h11
import httpx
import trio
from bench_drained import MAX_BODIES, WRITE_PARAMS, Drain, define_tasks, kapacitrio_round
from bench_procs import free_port, kapacitrio_server
from bench_workload import BodyMaker, TaskDef

LOADGEN = Path(__file__).resolve().parent / "bench_loadgen.py"

PROBE_SCRIPT = (
    "stream\n    |from()\n        .measurement('probe')\n    |alert()\n"
    "        .id('probe')\n        .crit(lambda: TRUE)\n        .post('{url}')\n"
)


@dataclass
class Arrivals:
    """Arrival time of each probe's alert, by sequence number (repeats counted)."""

    at: dict[int, float] = field(default_factory=dict)
    repeats: int = 0
    other: int = 0

    def record(self, body: bytes) -> None:
        now = time.perf_counter()
        try:
            series = json.loads(body)["data"]["series"][0]
            seq = int(series["values"][0][series["columns"].index("seq")])
        except (ValueError, KeyError, IndexError, TypeError):
            self.other += 1
            return
        if seq in self.at:
            self.repeats += 1
        else:
            self.at[seq] = now


async def serve_receiver(
    port: int, arrivals: Arrivals, task_status: Any = trio.TASK_STATUS_IGNORED
) -> None:
    """An HTTP/1.1 receiver on 127.0.0.1:`port` answering 200 to every request."""

    async def connection(stream: trio.SocketStream) -> None:
        conn = h11.Connection(h11.SERVER)
        body = b""
        try:
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    data = await stream.receive_some(65536)
                    conn.receive_data(data)
                    if not data and conn.their_state is not h11.DONE:
                        return
                elif isinstance(event, h11.Data):
                    body += bytes(event.data)
                elif isinstance(event, h11.EndOfMessage):
                    arrivals.record(body)
                    body = b""
                    resp = h11.Response(status_code=200, headers=[("Content-Length", "0")])
                    await stream.send_all(conn.send(resp) + conn.send(h11.EndOfMessage()))
                    if conn.our_state is h11.MUST_CLOSE:
                        return
                    conn.start_next_cycle()
                elif isinstance(event, h11.ConnectionClosed):
                    return
        except (h11.RemoteProtocolError, trio.BrokenResourceError, trio.ClosedResourceError):
            pass
        finally:
            await stream.aclose()

    listeners = await trio.open_tcp_listeners(port, host="127.0.0.1")
    task_status.started()
    await trio.serve_listeners(connection, listeners)


class ProbeClient:
    """HTTP/1.1 POSTs of small bodies on one kept-alive connection (h11 on Trio)."""

    def __init__(self, url: str) -> None:
        self.host, _, port = url.removeprefix("http://").partition(":")
        self.port = int(port)
        self.stream: trio.SocketStream | None = None
        self.conn = h11.Connection(h11.CLIENT)

    async def post(self, target: str, body: bytes) -> int:
        """Send one request; returns the response's status once its body has been read."""
        if self.stream is None:
            self.stream = await trio.open_tcp_stream(self.host, self.port)
        headers = [("Host", f"{self.host}:{self.port}"), ("Content-Length", str(len(body)))]
        conn = self.conn
        request = h11.Request(method="POST", target=target, headers=headers)
        await self.stream.send_all(
            conn.send(request) + conn.send(h11.Data(data=body)) + conn.send(h11.EndOfMessage())
        )
        status = 0
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await self.stream.receive_some(65536))
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.EndOfMessage):
                if conn.our_state is h11.MUST_CLOSE:  # the server's keep-alive limit
                    await self.aclose()
                    self.stream, self.conn = None, h11.Connection(h11.CLIENT)
                else:
                    conn.start_next_cycle()
                return status
            elif isinstance(event, h11.ConnectionClosed):
                raise RuntimeError("the server closed the probe connection")

    async def aclose(self) -> None:
        if self.stream is not None:
            await self.stream.aclose()


@dataclass
class LatencyResult:
    label: str
    probes: int
    received: int
    repeats: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    load_rate: float = 0.0

    def row(self) -> str:
        load = f"{self.load_rate:,.0f} p/s" if self.load_rate else "none"
        lost = self.probes - self.received
        return (
            f"| {self.label} | {load} | {self.probes} | {lost} | {self.p50_ms:.1f} | "
            f"{self.p99_ms:.1f} | {self.max_ms:.1f} |"
        )


HEADER = (
    "| alert latency | background load | probes | lost | p50 ms | p99 ms | max ms |\n"
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


async def probe_run(
    client: ProbeClient, arrivals: Arrivals, first_seq: int, n: int, gap_s: float
) -> dict[int, float]:
    """Send `n` probes about `gap_s` apart (jittered); returns their send times by sequence."""
    sent: dict[int, float] = {}
    rng = random.Random(first_seq)
    for seq in range(first_seq, first_seq + n):
        body = f"probe,host=p seq={seq}i {time.time_ns()}".encode()
        sent[seq] = time.perf_counter()
        status = await client.post(f"/write?{urlencode(WRITE_PARAMS)}", body)
        if status != 204:
            raise RuntimeError(f"probe write: {status}")
        await trio.sleep(gap_s * rng.uniform(0.5, 1.5))
    with trio.move_on_after(10):  # the stragglers
        while not all(s in arrivals.at for s in sent):
            await trio.sleep(0.01)
    return sent


def summarise(
    label: str, sent: dict[int, float], arrivals: Arrivals, load_rate: float
) -> LatencyResult:
    lat = [(arrivals.at[s] - t) * 1000 for s, t in sent.items() if s in arrivals.at]
    if not lat:
        raise RuntimeError(f"{label}: no alert arrived")
    return LatencyResult(
        label,
        len(sent),
        len(lat),
        arrivals.repeats,
        statistics.median(lat),
        percentile(lat, 0.99),
        max(lat),
        load_rate,
    )


@contextlib.asynccontextmanager
async def background(
    url: str, bodies: list[bytes], rate: float, points: int
) -> AsyncIterator[Callable[[], Awaitable[float]]]:
    """The load writer (`bench_loadgen.py`) posting bodies paced to `rate` points/s, in a
    process of its own; yields a function that stops it and returns the rate it achieved."""
    with tempfile.NamedTemporaryFile(suffix=".pickle") as f:
        f.write(pickle.dumps(bodies))
        f.flush()
        cmd = [sys.executable, str(LOADGEN), url, str(rate), str(points), f.name]
        proc = await trio.lowlevel.open_process(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        try:

            async def stop() -> float:
                assert proc.stdin is not None and proc.stdout is not None
                await proc.stdin.aclose()
                out = b""
                while chunk := await proc.stdout.receive_some(4096):
                    out += chunk
                if await proc.wait() != 0:
                    raise RuntimeError(f"the load writer failed with status {proc.returncode}")
                return float(out)

            yield stop
        finally:
            if proc.returncode is None:
                proc.kill()
                with trio.CancelScope(shield=True):
                    await proc.wait()


async def _measure(
    url: str, port: int, probes: int, load: list[bytes], half_rate: float, points: int
) -> list[LatencyResult]:
    arrivals = Arrivals()
    results = []
    async with trio.open_nursery() as nursery:
        await nursery.start(serve_receiver, port, arrivals)
        probe_client = ProbeClient(url)
        await probe_run(probe_client, arrivals, 0, 5, 0.02)  # warm-up
        sent = await probe_run(probe_client, arrivals, 1000, probes, 0.02)
        results.append(summarise("low load", sent, arrivals, 0.0))
        async with background(url, load, half_rate, points) as stop_load:
            await trio.sleep(1.0)  # let the writer start and the load settle
            sent = await probe_run(probe_client, arrivals, 100_000, probes, 0.03)
            achieved = await stop_load()
        await probe_client.aclose()
        results.append(summarise("half of max rate", sent, arrivals, achieved))
        nursery.cancel_scope.cancel()
    return results


def run_latency(
    probes: int, points: int, target_s: float, load_kind: str, log: Any
) -> tuple[float, list[LatencyResult]]:
    """Measure the load's maximum drained rate, then latency at low load and at half of it."""
    port = free_port()
    load_task = TaskDef("load_0", load_kind)
    maker = BodyMaker()
    with kapacitrio_server() as kap, httpx.Client(timeout=600) as client:
        define_tasks(client, kap, [load_task])
        r = client.post(
            f"{kap.url}/kapacitor/v1/tasks",
            json={
                "id": "probe",
                "type": "stream",
                "dbrps": [{"db": "bench", "rp": "autogen"}],
                "script": PROBE_SCRIPT.format(url=f"http://127.0.0.1:{port}/alert"),
                "status": "enabled",
            },
        )
        r.raise_for_status()
        drain = Drain(kap, [load_task])
        bodies, counts = maker.bodies(2, points)
        warm = kapacitrio_round(client, drain, bodies, counts)
        n = max(2, min(MAX_BODIES, round(target_s * warm / points)))
        rates = []
        for _ in range(2):
            bodies, counts = maker.bodies(n, points)
            rates.append(kapacitrio_round(client, drain, bodies, counts))
        max_rate = max(rates)
        half = max_rate / 2
        load_s = probes * 0.03 + 2.0
        load, _ = maker.bodies(math.ceil(load_s * half / points) + 2, points)
        log(
            f"  latency: {load_kind} x1 drained maximum {max_rate:,.0f} p/s; load at {half:,.0f} p/s"
        )
        results = trio.run(_measure, kap.url, port, probes, load, half, points)
        drain.stats(client)  # the load task is still running
    return max_rate, results
