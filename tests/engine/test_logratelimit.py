"""Repeated error lines are rate-limited: the first few per key and interval, then one count."""

from __future__ import annotations

import trio
import trio.testing

from kapacitrio.engine.clock import TrioClock
from kapacitrio.engine.taskmaster import open_taskmaster
from kapacitrio.logratelimit import BURST, INTERVAL_NS, LogLimiter
from kapacitrio.tasks.compiling import compile_doc
from tests.engine.helpers import T0

SCRIPT = "stream|from().measurement('cpu')|eval(lambda: \"missing\" * 2.0).as('x')|httpOut('o')"


def test_first_burst_then_counted_then_summarised():
    now = [0]
    lim = LogLimiter(lambda: now[0], burst=3, interval_ns=100)
    assert [lim.check("a", f"e{i}")[0] for i in range(5)] == [True, True, True, False, False]
    assert lim.check("b")[0] is True  # keys are independent
    now[0] = 100
    assert lim.check("a", "next") == (True, 2, "e4")  # a new interval: the count of the last
    assert lim.check("a") == (True, 0, "")
    assert lim.suppressed == 2
    for _ in range(5):
        lim.check("a", "x")
    assert lim.flush() == [("a", 4, "x")]
    assert lim.flush() == []


async def test_failed_points_log_a_burst_then_one_summary(autojump_clock: trio.testing.MockClock):
    entries: list[dict] = []
    async with open_taskmaster(TrioClock(T0), log_sink=entries.append) as tm:
        await tm.start_task("t", compile_doc(SCRIPT, "stream", {}), [("db", "rp")])
        body = "\n".join(f"cpu value={i}" for i in range(500))
        await tm.write("db", "rp", "s", body)
        await trio.testing.wait_all_tasks_blocked()
        errors = [e for e in entries if e["lvl"] == "error"]
        assert len(errors) == BURST  # not 500
        assert tm.task_info("t")["stats"]["eval2"]["errors"] == 500  # all still counted
        await trio.sleep(INTERVAL_NS / 1e9)  # the engine's clock moves past the interval
        await tm.write("db", "rp", "s", "cpu value=1")
        await trio.testing.wait_all_tasks_blocked()
        errors = [e for e in entries if e["lvl"] == "error"]
        assert len(errors) == BURST + 2
        summary, line = errors[BURST:]
        assert summary["msg"] == f"repeated error suppressed {500 - BURST} times in the last 60s"
        assert summary["node"] == "eval2" and "missing" in summary["last"]
        assert line["msg"] == errors[0]["msg"]
        for _ in range(BURST + 5):
            await tm.write("db", "rp", "s", "cpu value=1")
        await trio.testing.wait_all_tasks_blocked()
        await tm.stop_task("t")  # a stopping task writes what it still held back
        last = [e for e in entries if e["lvl"] == "error"][-1]
        assert last["msg"].startswith("repeated error suppressed 6 times")


async def test_alert_handler_failures_are_rate_limited(autojump_clock: trio.testing.MockClock):
    from structlog.testing import capture_logs

    from kapacitrio.alerting.service import AlertService

    svc = AlertService()
    with capture_logs() as logs:
        for i in range(40):
            svc._handler_log("error", "alert handler failed", handler="h", error=f"status {i}")
        await trio.sleep(INTERVAL_NS / 1e9)
        svc._handler_log("error", "alert handler failed", handler="h", error="status 500")
    msgs = [e["event"] for e in logs]
    assert msgs.count("alert handler failed") == BURST + 1
    assert f"repeated error suppressed {40 - BURST} times in the last 60s" in msgs
    assert svc.stats["handler_errors"] == 41
