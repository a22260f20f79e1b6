"""A replay's alert nodes use topics of their own (`<replay id>:TASK:alertN`), never the live ones."""

from __future__ import annotations

import pytest
import trio

from kapacitrio.alerting import levels
from kapacitrio.alerting.service import AlertService
from kapacitrio.config import load
from kapacitrio.engine.clock import TrioClock
from kapacitrio.engine.taskmaster import open_taskmaster
from kapacitrio.logs import HUB
from kapacitrio.replay.service import ReplayService
from kapacitrio.services import Services
from kapacitrio.storage.db import open_store
from kapacitrio.tasks.service import TaskService
from tests.replay.test_service import record, wait_status

S = 1_000_000_000
T0 = 1_700_000_000 * S


@pytest.fixture
async def env(tmp_path):
    script = (
        "stream|from().measurement('cpu')"
        f"|alert().crit(lambda: \"v\" > 5).id('x').log('{tmp_path / 'alerts.log'}')"
    )
    clock = TrioClock(T0)
    async with open_store(tmp_path / "k.db") as store:
        services = Services(config=load(None, env={}), store=store, logs=HUB)
        async with open_taskmaster(clock, services) as tm, trio.open_nursery() as nursery:
            services.taskmaster = tm
            services.alerts = AlertService(store)
            await nursery.start(services.alerts.run)
            services.tasks = TaskService(services)
            await nursery.start(services.tasks.run)
            services.replay = ReplayService(services, tmp_path / "replay", clock)
            await nursery.start(services.replay.run)
            task = {"id": "cpu", "type": "stream", "dbrps": [{"db": "db", "rp": "rp"}],
                    "script": script, "status": "enabled"}  # fmt: skip
            await services.tasks.create_task(task)
            yield services
            nursery.cancel_scope.cancel()


async def test_a_replay_neither_reads_nor_changes_the_live_alert_state(env, autojump_clock):
    alerts = env.alerts
    await record(env, values=(9, 1))  # the live task sees these too: CRITICAL, then OK
    now = env.replay.clock.now()
    await env.taskmaster.write("db", "rp", "n", f"cpu v=9 {now}".encode())
    for _ in range(100):
        await trio.sleep(1)
        if alerts.topics["main:cpu:alert2"].collected == 3:
            break
    live = alerts.get_topic("main:cpu:alert2")
    assert (live.collected, live.events["x"].level) == (3, levels.CRITICAL)

    await env.replay.replay_recording({"id": "rp1", "task": "cpu", "recording": "rec"})
    done = await wait_status(env.replay.get_replay, "rp1")
    assert done["stats"]["node-stats"]["alert2"]["crits_triggered"] == 1

    # the replay's own topic, starting from no state: CRITICAL then the recovery
    mine = alerts.get_topic("rp1:cpu:alert2")
    assert (mine.collected, mine.events["x"].level) == (2, levels.OK)
    # the live topic is untouched
    live = alerts.get_topic("main:cpu:alert2")
    assert (live.collected, live.events["x"].level) == (3, levels.CRITICAL)
