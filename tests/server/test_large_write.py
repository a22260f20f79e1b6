"""A large `/write` is parsed off the event loop: a small request is answered meanwhile."""

from __future__ import annotations

import time

import httpx
import trio

from kapacitrio.config import load
from kapacitrio.server import run_server

BODY_BYTES = 10_000_000


def _body() -> bytes:
    line = "cpu,host=h{i},region=west usage_user=12.5,usage_system=3.25,n=7i {t}\n"
    out, size, i = [], 0, 0
    while size < BODY_BYTES:
        s = line.format(i=i % 500, t=1_700_000_000_000_000_000 + i)
        out.append(s)
        size += len(s)
        i += 1
    return "".join(out).encode()


async def test_small_requests_are_answered_during_a_10mb_write(tmp_path):
    env = {
        "KAPACITOR_HTTP_BIND_ADDRESS": "127.0.0.1:0",
        "KAPACITOR_DATA_DIR": str(tmp_path / "data"),
        "KAPACITOR_HTTP_LOG_ENABLED": "false",
    }
    body = _body()
    async with trio.open_nursery() as nursery:
        shutdown = trio.Event()
        binds = await nursery.start(run_server, load(None, env=env), shutdown)
        async with httpx.AsyncClient(base_url=binds[0], timeout=60) as c:
            task = {
                "id": "t",
                "type": "stream",
                "dbrps": [{"db": "db", "rp": "rp"}],
                "script": "stream|from().measurement('cpu')|httpOut('o')",
                "status": "enabled",
            }
            assert (await c.post("/kapacitor/v1/tasks", json=task)).status_code == 200
            big_done = trio.Event()
            waits: list[float] = []
            took: list[float] = []

            async def big() -> None:
                t0 = time.monotonic()
                r = await c.post("/write?db=db&rp=rp", content=body)
                took.append(time.monotonic() - t0)
                assert r.status_code == 204, r.text
                big_done.set()

            async def small() -> None:
                async with httpx.AsyncClient(base_url=binds[0], timeout=60) as c2:
                    await c2.get("/kapacitor/v1/ping")
                    last = time.monotonic()
                    while not big_done.is_set():  # time between answers, sleep included
                        r = await c2.get("/kapacitor/v1/ping")
                        assert r.status_code == 204
                        waits.append(time.monotonic() - last)
                        last = time.monotonic()
                        await trio.sleep(0.01)

            async with trio.open_nursery() as n:
                n.start_soon(small)
                await trio.sleep(0.05)
                n.start_soon(big)
            longest = max(waits)
            print(
                f"10 MB write took {took[0]:.2f} s; {len(waits)} pings, longest gap {longest:.3f} s"
            )
            assert len(waits) >= 5
            assert longest < 0.7  # before: the whole parse (1.4-2.2 s) in one step
            out = (await c.get("/kapacitor/v1/tasks/t/o")).json()
            assert out["series"][0]["name"] == "cpu"
        shutdown.set()
