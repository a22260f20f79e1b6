"""Batch queries on their schedule: client looked up per tick, overrun ticks dropped, results read."""

from __future__ import annotations

import trio
import trio.testing

from kapacitrio.engine.clock import VirtualClock
from kapacitrio.engine.taskmaster import open_taskmaster
from tests.engine.helpers import T0, Chain, S


class SlowInflux:
    """A client whose queries take `delay` ns of (virtual) time; `get` is the service lookup."""

    def __init__(self, clock: VirtualClock, delay: int, series: list[dict]) -> None:
        self.clock = clock
        self.delay = delay
        self.answer = series
        self.at: list[int] = []
        self.client: SlowInflux | None = self

    def get(self, name: str = "") -> SlowInflux | None:
        return self.client

    async def series(self, q: str, db: str = "", rp: str = "", epoch: str = "") -> list[dict]:
        self.at.append(self.clock.now())
        if self.delay and len(self.at) < 10:  # bounded: a regression fails instead of spinning
            self.clock.advance_to(self.clock.now() + self.delay)
        return self.answer


def batch_task(every: int) -> Chain:
    c = Chain("batch")
    c.add(
        "query",
        args=["SELECT v FROM m"],
        provides="batch",
        wants="batch",
        period=every,
        every=every,
    )
    c.add("httpOut", args=["out"], desc="http_out")
    return c


async def run_ticks(clock: VirtualClock, until: int, step: int) -> None:
    while clock.now() < until:
        clock.advance_to(clock.now() + step)
        await trio.testing.wait_all_tasks_blocked()


async def test_ticks_overrun_by_a_slow_query_are_dropped():
    clock = VirtualClock(T0)
    influx = SlowInflux(clock, 25 * S, [])
    services = type("Services", (), {"influxdb": influx, "alerts": None})()
    async with open_taskmaster(clock, services) as tm:
        await tm.start_task("q", batch_task(10 * S).pipeline(), [("db", "rp")])
        await trio.testing.wait_all_tasks_blocked()
        await run_ticks(clock, T0 + 100 * S, S)
    # 10s: the query runs until 35s, so 20s and 30s are skipped; next 40s (until 65s), then 70s.
    assert influx.at[:3] == [T0 + 10 * S, T0 + 40 * S, T0 + 70 * S]


async def test_results_read_as_kapacitor_and_a_missing_client_is_an_error():
    clock = VirtualClock(T0)
    series = [
        {
            "name": "m",
            "tags": {"host": "a"},
            "columns": ["time", "v", "s"],
            "values": [
                [T0 + 1 * S, 3, "x"],
                [T0 + 2 * S, None, None],
                [T0 + 3 * S, 4.5, None],
                [T0 + 4 * S, True, None],
            ],
        }
    ]
    influx = SlowInflux(clock, 0, series)
    services = type("Services", (), {"influxdb": influx, "alerts": None})()
    async with open_taskmaster(clock, services) as tm:
        task = await tm.start_task("q", batch_task(10 * S).pipeline(), [("db", "rp")])
        await trio.testing.wait_all_tasks_blocked()
        clock.advance_to(T0 + 10 * S)
        await trio.testing.wait_all_tasks_blocked()
        out = tm.http_out("q", "out")["series"]
        assert out == [
            {
                "name": "m",
                "tags": {"host": "a"},
                "columns": ["time", "s", "v"],
                "values": [
                    ["1971-01-01T00:00:01Z", "x", 3.0],
                    ["1971-01-01T00:00:03Z", None, 4.5],
                    ["1971-01-01T00:00:04Z", None, True],
                ],
            }
        ]
        assert isinstance(out[0]["values"][0][2], float)
        stats = task.node_stats()["query1"]
        assert (stats["batches_queried"], stats["points_queried"]) == (1, 3)
        assert task.error == "" and task.executing
        # The cluster goes away from the config: the task stops with Kapacitor's error for a
        # query node without a client (the task's `error`), nothing more is queried.
        influx.client = None
        clock.advance_to(T0 + 20 * S)
        await trio.testing.wait_all_tasks_blocked()
        assert (
            task.error == "query1: failed to get InfluxDB client: no such InfluxDB config default"
        )
        assert not task.executing
        assert len(influx.at) == 1
