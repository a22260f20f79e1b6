"""Hung, slow, refusing and failing receivers behind every outgoing kind (httpPost, the `post`
alert handler, kkok's slack transport): stopping a task is bounded, other task and kkok changes do
not wait for it, and shutdown finishes within its timeout. The real server in process, MockClock."""

from __future__ import annotations

import httpx
import pytest
import trio
from trio.testing import MockClock

from kapacitrio.config import load
from kapacitrio.engine.taskmaster import STOP_DRAIN_SECONDS
from kapacitrio.server import run_server
from tests.hangingreceivers import KINDS, open_receiver

SHUTDOWN_SECONDS = 10
QUEUED = 12


@pytest.fixture
def clock() -> MockClock:
    # Timers jump once everything has waited 0.2 s of real time: loopback I/O and SQLite calls
    # in threads are never skipped over, a hung receiver's timeouts pass at once.
    return MockClock(autojump_threshold=0.2)


def _config(tmp_path):
    env = {
        "KAPACITOR_HTTP_BIND_ADDRESS": "127.0.0.1:0",
        "KAPACITOR_DATA_DIR": str(tmp_path / "data"),
        "KAPACITOR_HTTP_SHUTDOWN_TIMEOUT": f"{SHUTDOWN_SECONDS}s",
        "KAPACITOR_HTTP_LOG_ENABLED": "false",
        "KAPACITOR_KKOK_INITIAL_INTERVAL": "1",
        "KAPACITOR_KKOK_MAX_INTERVAL": "2",
    }
    return load(None, env=env)


def _task(tid: str, script: str, status: str = "enabled") -> dict:
    return {
        "id": tid,
        "type": "stream",
        "dbrps": [{"db": "db", "rp": "rp"}],
        "script": script,
        "status": status,
    }


async def _timed(results: dict, name: str, fn) -> None:
    t0 = trio.current_time()
    resp = await fn()
    results[name] = (trio.current_time() - t0, trio.current_time(), resp.status_code)


@pytest.mark.parametrize("kind", KINDS)
async def test_changes_and_shutdown_are_bounded_with_bad_receivers(tmp_path, kind):
    async with trio.open_nursery() as outer:
        rx = await open_receiver(outer, kind)
        shutdown, done = trio.Event(), trio.Event()

        async def serve(task_status=trio.TASK_STATUS_IGNORED):
            try:
                await run_server(_config(tmp_path), shutdown, task_status=task_status)
            finally:
                done.set()

        binds = await outer.start(serve)
        base = binds[0]
        async with httpx.AsyncClient(base_url=base, timeout=120) as c:
            api = "/kapacitor/v1"
            post = f"stream|from().measurement('m')|httpPost('{rx.url}/p')"
            alert = (
                f"stream|from().measurement('m')|alert().crit(lambda: \"v\" > 0).post('{rx.url}/a')"
            )
            for body in (
                _task("poster", post),
                _task("alerter", alert),
                _task("other", "stream|from().measurement('x')|httpOut('o')", "disabled"),
            ):
                assert (await c.post(f"{api}/tasks", json=body)).status_code == 200
            hook = [{"type": "slack", "url": f"{rx.url}/k", "max_retry": 1}]
            assert (await c.put("/routes/hook", json=hook)).status_code == 200
            flt = {"type": "route", "routes": ["hook"]}
            assert (await c.put("/filters/all", json=flt)).status_code == 200
            lines = "\n".join(f"m v={i + 1} {i + 1}000000000" for i in range(QUEUED))
            r = await c.post("/write?db=db&rp=rp&precision=ns", content=lines)
            assert r.status_code == 204
            for i in range(3):
                alert_doc = {"From": "mon", "Title": f"t{i}", "Host": "h"}
                assert (await c.post("/alerts", json=alert_doc)).status_code == 200
            with trio.fail_after(30):  # every kind has been reached (or refused) by now
                while kind != "refused" and rx.hits < 2:
                    await trio.sleep(0.1)
                await trio.sleep(1.5)  # a kkok round has started

            results: dict = {}
            async with trio.open_nursery() as n:
                patch = {"status": "disabled"}
                n.start_soon(
                    _timed, results, "poster", lambda: c.patch(f"{api}/tasks/poster", json=patch)
                )
                n.start_soon(
                    _timed, results, "alerter", lambda: c.patch(f"{api}/tasks/alerter", json=patch)
                )
                await trio.sleep(0.01)
                enable = {"status": "enabled"}
                n.start_soon(
                    _timed, results, "other", lambda: c.patch(f"{api}/tasks/other", json=enable)
                )
                flt2 = {"type": "discard", "if": "alert.Host == 'x'"}
                n.start_soon(_timed, results, "filter", lambda: c.put("/filters/drop", json=flt2))
            for name, (_, _, status) in results.items():
                assert status in (200, 204), name
            print(f"{kind}: stop and change times (virtual s): {results}")
            stop_limit = STOP_DRAIN_SECONDS + 1
            assert results["poster"][0] <= stop_limit, results
            assert results["alerter"][0] <= stop_limit, results
            # Changes to other things never waited for the stops.
            assert results["other"][0] < 1.0, results
            assert results["filter"][0] < 1.0, results
            stats = (await c.get(f"{api}/tasks/other")).json()
            assert stats["executing"] is True

        t0 = trio.current_time()
        shutdown.set()
        with trio.fail_after(SHUTDOWN_SECONDS * 3):
            await done.wait()
        assert trio.current_time() - t0 <= SHUTDOWN_SECONDS
        outer.cancel_scope.cancel()
