"""Invalid batch tasks are refused when enabled, with Kapacitor's error kept on the task."""

from __future__ import annotations

import pytest
import trio

from kapacitrio.config import load
from kapacitrio.engine.clock import TrioClock
from kapacitrio.engine.taskmaster import open_taskmaster
from kapacitrio.logs import HUB
from kapacitrio.services import Services
from kapacitrio.storage.db import open_store
from kapacitrio.tasks.errors import Invalid
from kapacitrio.tasks.service import TaskService

DBRPS = [{"db": "mydb", "rp": "myrp"}]


class Clusters:
    """The InfluxDB service's lookup: only the cluster `known` (and the default) exist."""

    def get(self, name: str = ""):
        return None if name not in ("", "known") else object()


@pytest.fixture
async def env(tmp_path):
    async with open_store(tmp_path / "k.db") as store, open_taskmaster(TrioClock(0)) as tm:
        services = Services(config=load(None, env={}), store=store, logs=HUB)
        services.taskmaster = tm
        services.influxdb = Clusters()
        services.tasks = TaskService(services)
        async with trio.open_nursery() as nursery:
            await nursery.start(services.tasks.run)
            yield services
            nursery.cancel_scope.cancel()


def script(query: str = "SELECT value FROM mydb.myrp.cpu", props: str = ".every(5m)") -> str:
    return f"batch|query('{query}').period(5m){props}|count('value')|httpOut('count')"


@pytest.mark.parametrize(
    ("query", "props", "error"),
    [
        ("SELECT value FROM unknowndb.unknownrp.cpu", ".every(5m)",
         'batch query is not allowed to request data from "unknowndb"."unknownrp"'),
        ("SELECT value FROM cpu", ".every(5m)",
         'batch query is not allowed to request data from ""."'),
        ("SELECT value FROM mydb.myrp.cpu", "", "must define one of 'every' or 'cron'"),
        ("SELECT value FROM mydb.myrp.cpu", ".every(5m).cron('* * * * *')",
         "must not set both 'every' and 'cron' properties"),
        ("SELECT value FROM mydb.myrp.cpu", ".cron('61 * * * *')",
         "syntax error in minute field: '61'"),
        ("SELECT value FROM mydb.myrp.cpu", ".every(5m).cluster('nosuch')",
         "failed to get InfluxDB client: no such InfluxDB config nosuch"),
        ("SELECT FROM mydb.myrp.cpu", ".every(5m)", "failed to parse InfluxQL query: found FROM"),
    ],
)  # fmt: skip
async def test_enable_is_refused_with_kapacitors_error(env, query, props, error):
    svc = env.tasks
    await svc.create_task(
        {"id": "b", "type": "batch", "dbrps": DBRPS, "script": script(query, props)}
    )
    with pytest.raises(Invalid) as exc:
        await svc.update_task("b", {"status": "enabled"})
    assert str(exc.value).startswith(error)
    task = await svc.get_task("b")
    assert task["status"] == "disabled" and not task["executing"]
    assert task["error"] == str(exc.value)
    # created enabled: refused, nothing stored
    with pytest.raises(Invalid):
        await svc.create_task(
            {"id": "c", "type": "batch", "dbrps": DBRPS, "script": script(query, props),
             "status": "enabled"}
        )  # fmt: skip
    assert await env.store.get("tasks", "c") is None


async def test_a_valid_batch_task_starts(env):
    svc = env.tasks
    props = ".every(5m).cluster('known')"
    t = await svc.create_task(
        {"id": "ok", "type": "batch", "dbrps": DBRPS, "script": script(props=props),
         "status": "enabled"}
    )  # fmt: skip
    assert t["executing"] and t["error"] == ""
