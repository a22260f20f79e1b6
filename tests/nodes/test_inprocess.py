"""Node families inside real tasks: scripts compiled by the pipeline builder, run by the TaskMaster."""

import trio
import trio.testing

from kapacitrio.engine.clock import VirtualClock
from kapacitrio.engine.taskmaster import open_taskmaster
from kapacitrio.pipeline.build import compile_task
from tests.nodes.helpers import T0, S


def body(*items):
    return "\n".join(f"{line} {T0 + int(t * S)}" for line, t in items).encode()


async def settle():
    await trio.testing.wait_all_tasks_blocked()


async def test_stats_and_derivative_measure_throughput():
    script = """
stream
    |from().measurement('cpu')
    |stats(10s)
    |derivative('emitted').unit(10s).nonNegative()
    |httpOut('rate')
"""
    clock = VirtualClock(T0)
    async with open_taskmaster(clock) as tm:
        await tm.start_task("t", compile_task(script, "stream"), [("db", "rp")])
        await settle()
        await tm.write("db", "rp", "n", body(*[(f"cpu v={i}", i) for i in range(5)]))
        await settle()
        clock.advance_to(T0 + 10 * S)
        await settle()
        await tm.write("db", "rp", "n", body(*[(f"cpu v={i}", 10 + i) for i in range(3)]))
        await settle()
        clock.advance_to(T0 + 20 * S)
        await settle()
        res = tm.http_out("t", "rate")
        assert res["series"] == [
            {
                "name": "stats",
                "columns": ["time", "emitted"],
                "values": [["1971-01-01T00:00:20Z", 3.0]],
            }
        ]


async def test_join_of_two_streams_with_tolerance():
    script = """
var errors = stream|from().measurement('errors').groupBy('host')
var requests = stream|from().measurement('requests').groupBy('host')
errors
    |join(requests)
        .as('errors', 'requests')
        .tolerance(1s)
    |eval(lambda: "errors.value" / "requests.value").as('rate')
    |httpOut('rate')
"""
    async with open_taskmaster(VirtualClock(T0)) as tm:
        await tm.start_task("j", compile_task(script, "stream"), [("db", "rp")])
        await tm.write(
            "db",
            "rp",
            "n",
            body(
                ("errors,host=a value=1", 0),
                ("requests,host=a value=10", 0.2),
                ("errors,host=a value=3", 5),
                ("requests,host=a value=12", 5.4),
            ),
        )
        await settle()
        res = tm.http_out("j", "rate")
        assert res["series"] == [
            {
                "name": "errors",
                "tags": {"host": "a"},
                "columns": ["time", "rate"],
                "values": [["1971-01-01T00:00:05Z", 0.25]],
            }
        ]


async def test_influxql_over_windows_in_a_task():
    script = """
stream
    |from().measurement('cpu').groupBy('host')
    |window().period(10s).every(10s)
    |percentile('value', 50.0).usePointTimes()
    |httpOut('p50')
"""
    async with open_taskmaster(VirtualClock(T0)) as tm:
        await tm.start_task("q", compile_task(script, "stream"), [("db", "rp")])
        vals = [5, 1, 4, 2, 3]
        await tm.write(
            "db",
            "rp",
            "n",
            body(
                *[(f"cpu,host=a value={v}", i) for i, v in enumerate(vals)],
                ("cpu,host=a value=0", 11),
            ),
        )
        await settle()
        res = tm.http_out("q", "p50")
        assert res["series"] == [
            {
                "name": "cpu",
                "tags": {"host": "a"},
                "columns": ["time", "percentile"],
                "values": [["1971-01-01T00:00:04Z", 3.0]],
            }
        ]


async def test_deadman_goes_critical_after_an_interval_without_data():
    script = "stream|from().measurement('cpu')|deadman(1.0, 10s)|httpOut('dead')"
    clock = VirtualClock(T0)
    async with open_taskmaster(clock) as tm:
        await tm.start_task("d", compile_task(script, "stream"), [("db", "rp")])
        await settle()
        await tm.write("db", "rp", "n", body(*[(f"cpu v={i}", i) for i in range(5)]))
        await settle()
        clock.advance_to(T0 + 10 * S)
        await settle()
        stats = tm.task_info("d")["stats"]
        assert stats["alert5"]["crits_triggered"] == 0
        await tm.write("db", "rp", "n", body(("cpu v=9", 12)))
        await settle()
        clock.advance_to(T0 + 20 * S)  # one point in the interval: 1 <= 1.0 is still dead
        await settle()
        clock.advance_to(T0 + 30 * S)
        await settle()
        stats = tm.task_info("d")["stats"]
        assert stats["stats2"]["emitted"] == 3
        assert stats["alert5"]["crits_triggered"] == 2  # rate 1 at 20s, then 0 at 30s
        assert tm.http_out("d", "dead")["series"][0]["values"] == [["1971-01-01T00:00:30Z", 0.0]]
