"""The task service compiles with the server's `[deadman]` section and knows no UDF by default."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

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

DBRPS = [{"db": "db", "rp": "rp"}]
DEADMAN_ENV = {
    "KAPACITOR_DEADMAN_GLOBAL": "true",
    "KAPACITOR_DEADMAN_THRESHOLD": "2.5",
    "KAPACITOR_DEADMAN_INTERVAL": "1m",
    "KAPACITOR_DEADMAN_ID": "dead NODE_NAME of {{ .TaskName }}",
    "KAPACITOR_DEADMAN_MESSAGE": "{{ .ID }}: fewer than expected per INTERVAL",
}


@asynccontextmanager
async def service(tmp_path, env: dict[str, str]) -> AsyncIterator[TaskService]:
    """A running TaskService whose config has `env` applied."""
    async with open_store(tmp_path / "k.db") as store, open_taskmaster(TrioClock(0)) as tm:
        services = Services(config=load(None, env=env), store=store, logs=HUB)
        services.taskmaster = tm
        services.tasks = TaskService(services)
        async with trio.open_nursery() as nursery:
            await nursery.start(services.tasks.run)
            yield services.tasks
            nursery.cancel_scope.cancel()


def _kinds(svc: TaskService, task_id: str) -> list[str]:
    return [n.kind for n in svc.tm.tasks[task_id].pipeline.nodes]


async def test_global_deadman_from_config(tmp_path):
    async with service(tmp_path, DEADMAN_ENV) as svc:
        await svc.create_task(
            {
                "id": "t",
                "type": "stream",
                "dbrps": DBRPS,
                "script": "stream|from().measurement('cpu')|httpOut('x')",
                "status": "enabled",
            }
        )
        nodes = svc.tm.tasks["t"].pipeline.nodes
        assert [n.kind for n in nodes] == [
            "stream",
            "from",
            "httpOut",
            "stats",
            "derivative",
            "alert",
        ]
        alert = nodes[-1]
        assert alert.props["id"] == "dead stream0 of {{ .TaskName }}"
        assert alert.props["message"] == "{{ .ID }}: fewer than expected per 1m0s"
        assert alert.props["crit"].expr.right.value == 2.5
        view = await svc.get_task("t")
        assert "stats3 -> derivative4" in view["dot"] and "alert5" in view["dot"]


async def test_explicit_deadman_takes_the_configured_texts(tmp_path):
    env = {k: v for k, v in DEADMAN_ENV.items() if k != "KAPACITOR_DEADMAN_GLOBAL"}
    async with service(tmp_path, env) as svc:
        await svc.create_task(
            {
                "id": "t",
                "type": "stream",
                "dbrps": DBRPS,
                "script": "stream|from().measurement('cpu')|deadman(0.0, 10s)",
                "status": "enabled",
            }
        )
        nodes = svc.tm.tasks["t"].pipeline.nodes
        # not global: only the script's own deadman
        assert [n.kind for n in nodes].count("alert") == 1
        assert nodes[-1].props["id"] == "dead from1 of {{ .TaskName }}"
        assert nodes[-1].props["message"] == "{{ .ID }}: fewer than expected per 10s"


async def test_no_global_deadman_by_default(tmp_path):
    async with service(tmp_path, {}) as svc:
        await svc.create_task(
            {
                "id": "t",
                "type": "stream",
                "dbrps": DBRPS,
                "script": "stream|from().measurement('cpu')|httpOut('x')",
                "status": "enabled",
            }
        )
        assert _kinds(svc, "t") == ["stream", "from", "httpOut"]


async def test_unknown_udf_is_kapacitors_error(tmp_path):
    async with service(tmp_path, {}) as svc:
        with pytest.raises(Invalid) as exc:
            await svc.create_task(
                {"id": "t", "type": "stream", "dbrps": DBRPS, "script": "stream|from()@myUDF()"}
            )
        assert str(exc.value) == (
            'invalid TICKscript: line 1 char 15: no method or property "myUDF" on *pipeline.FromNode'
        )


async def test_bad_deadman_interval_is_a_config_error():
    from kapacitrio.config import ConfigError

    with pytest.raises(ConfigError):
        load(None, env={"KAPACITOR_DEADMAN_INTERVAL": "soon"})
