"""The latency benchmark's background writer, a process of its own (as a real collector is):
`bench_loadgen.py URL RATE POINTS BODIES` posts the pickled list of bodies in the file BODIES to
URL's `/write`, paced to RATE points/s, until its standard input closes or the bodies run out, and
then prints the rate it achieved (points/s) on standard output."""

from __future__ import annotations

import pickle
import sys
import time
from pathlib import Path

import httpx
import trio
from bench_drained import WRITE_PARAMS


async def post_paced(
    url: str, bodies: list[bytes], rate: float, points: int, stop: trio.Event
) -> float:
    """Post bodies paced to `rate` points/s until `stop` (a write under way is finished);
    returns the rate achieved."""
    interval = points / rate
    t0 = time.perf_counter()
    sent = 0
    async with httpx.AsyncClient(timeout=120) as client:
        for i, body in enumerate(bodies):
            with trio.move_on_at(trio.current_time() + t0 + i * interval - time.perf_counter()):
                await stop.wait()
            if stop.is_set():
                break
            r = await client.post(f"{url}/write", params=WRITE_PARAMS, content=body)
            if r.status_code != 204:
                raise RuntimeError(f"load write: {r.status_code} {r.text[:200]}")
            sent += points
    return sent / (time.perf_counter() - t0)


async def until_stdin_closes(stop: trio.Event) -> None:
    stdin = trio.lowlevel.FdStream(0)
    while await stdin.receive_some(1024):
        pass
    stop.set()


async def main(url: str, rate: float, points: int, bodies_file: str) -> None:
    bodies = pickle.loads(Path(bodies_file).read_bytes())
    stop = trio.Event()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(until_stdin_closes, stop)
        achieved = await post_paced(url, bodies, rate, points, stop)
        nursery.cancel_scope.cancel()
    print(achieved, flush=True)


if __name__ == "__main__":
    trio.run(main, sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
