"""Unit tests of the task service with the real engine and store, in process."""

from __future__ import annotations

import pytest
import trio

from kapacitrio.config import load
from kapacitrio.engine.clock import TrioClock
from kapacitrio.engine.taskmaster import TaskStartError, open_taskmaster
from kapacitrio.logs import HUB
from kapacitrio.services import Services
from kapacitrio.storage.db import open_store
from kapacitrio.tasks.errors import Invalid, NotFound
from kapacitrio.tasks.ids import check_id, valid_id
from kapacitrio.tasks.service import TaskService

DBRPS = [{"db": "db", "rp": "rp"}]
TEMPLATE = "var m string\nstream|from().measurement(m)|count('value')|httpOut('out')"


class FailingStarts:
    """The real TaskMaster, except that starting one chosen task id fails like a bad UDF would."""

    def __init__(self, tm, fail_id: str) -> None:
        self._tm = tm
        self.fail_id = fail_id
        self.fail = False

    async def start_task(self, task_id, pipeline, dbrps=None):
        if self.fail and task_id == self.fail_id:
            await self._tm.stop_task(task_id)
            raise TaskStartError("udf process died")
        return await self._tm.start_task(task_id, pipeline, dbrps)

    def __getattr__(self, name):
        return getattr(self._tm, name)


@pytest.fixture
async def env(tmp_path):
    async with open_store(tmp_path / "k.db") as store, open_taskmaster(TrioClock(0)) as tm:
        services = Services(config=load(None, env={}), store=store, logs=HUB)
        services.taskmaster = FailingStarts(tm, "b")
        services.tasks = TaskService(services)
        async with trio.open_nursery() as nursery:
            await nursery.start(services.tasks.run)
            yield services
            nursery.cancel_scope.cancel()


def tvars(m: str) -> dict:
    return {"m": {"type": "string", "value": m}}


def test_id_rule():
    assert valid_id("a-b.c_d9") and valid_id("日本") and valid_id("ÄÖ")
    assert not valid_id("") and not valid_id("a b") and not valid_id("a/b") and not valid_id("٣")
    assert valid_id("x" * 255) and not valid_id("x" * 256)


def test_bad_id_is_quoted_as_go_quotes_it():
    with pytest.raises(Invalid) as err:
        check_id("task", 'a\x01b\u00a0"')
    assert str(err.value).endswith('. "a\\x01b\\u00a0\\""')


async def test_overlong_id_is_rejected(env):
    with pytest.raises(Invalid, match="at most 255 characters"):
        await env.tasks.create_task(
            {"id": "x" * 300, "type": "stream", "dbrps": DBRPS, "script": "stream|from()"}
        )


async def test_failed_start_on_create_stores_nothing(env):
    svc = env.tasks
    env.taskmaster.fail = True
    with pytest.raises(Invalid, match="udf process died"):
        await svc.create_task(
            {
                "id": "b",
                "type": "stream",
                "dbrps": DBRPS,
                "script": "stream|from()",
                "status": "enabled",
            }
        )
    with pytest.raises(NotFound):
        await svc.get_task("b")
    assert await svc.counts() == (0, 0)


async def test_template_update_rolls_back_when_a_task_fails_to_restart(env):
    svc = env.tasks
    await svc.create_template({"id": "t", "type": "stream", "script": TEMPLATE})
    for tid in ("a", "b", "c"):
        await svc.create_task(
            {
                "id": tid,
                "template-id": "t",
                "dbrps": DBRPS,
                "vars": tvars("cpu"),
                "status": "enabled",
            }
        )
    env.taskmaster.fail = True
    new = TEMPLATE.replace("count", "sum")
    with pytest.raises(Invalid, match="^error reloading associated task b: udf process died$"):
        await svc.update_template("t", {"script": new})
    assert "count" in (await svc.get_template("t", "raw"))["script"]
    for tid in ("a", "b", "c"):
        task = await svc.get_task(tid, "raw")
        assert "count" in task["script"]
    # a was restarted with the new script and then put back: it runs the old one again
    env.taskmaster.fail = False
    assert (await svc.get_task("a"))["executing"] is True
    running = env.taskmaster.task_info("a")["stats"]
    assert any(n.startswith("count") for n in running)
    assert not any(n.startswith("sum") for n in running)


async def test_counts_and_enabled_start(env):
    svc = env.tasks
    await svc.create_task(
        {
            "id": "x",
            "type": "stream",
            "dbrps": DBRPS,
            "script": "stream|from()",
            "status": "enabled",
        }
    )
    await svc.create_task({"id": "y", "type": "stream", "dbrps": DBRPS, "script": "stream|from()"})
    assert await svc.counts() == (2, 1)
    # what the server does at startup: stored enabled tasks start again
    await env.taskmaster.stop_task("x")
    assert svc.http_out("x", "none") is None
    await svc.start_enabled()
    assert (await svc.get_task("x"))["executing"] is True
    assert (await svc.get_task("y"))["executing"] is False


async def test_type_is_inferred_when_missing(env):
    svc = env.tasks
    t = await svc.create_task({"id": "s", "dbrps": DBRPS, "script": "stream|from()"})
    assert t["type"] == "stream"
    t = await svc.create_task(
        {
            "id": "b",
            "dbrps": DBRPS,
            "script": "batch|query('SELECT mean(v) FROM db.rp.m').period(1m).every(1m)",
        }
    )
    assert t["type"] == "batch"


async def test_runtime_failure_is_kept_on_the_stored_task(env):
    svc = env.tasks
    await svc.create_task(
        {
            "id": "x",
            "type": "stream",
            "dbrps": DBRPS,
            "script": "stream|from()",
            "status": "enabled",
        }
    )
    task = env.taskmaster.tasks["x"]
    task.fail(task.nodes["from1"], "something broke")
    await task.finished.wait()
    with trio.fail_after(10):  # the watcher stores the error through the store's thread
        while not (stored := await env.store.get("tasks", "x"))["error"]:
            await trio.testing.wait_all_tasks_blocked()
    assert stored["error"] == "from1: something broke"
    view = await svc.get_task("x")
    assert view["executing"] is False and view["error"] == "from1: something broke"
    # enabling it again (here: a restart at startup) clears the error
    await svc.start_enabled()
    assert (await env.store.get("tasks", "x"))["error"] == ""
    assert (await svc.get_task("x"))["executing"] is True


async def test_overlong_script_is_rejected(env):
    script = "stream|from()\n" + "// padding\n" * 100_000
    with pytest.raises(Invalid, match="script is longer than"):
        await env.tasks.create_task({"id": "x", "type": "stream", "dbrps": DBRPS, "script": script})
    with pytest.raises(Invalid, match="script is longer than"):
        await env.tasks.create_template({"id": "t", "type": "stream", "script": script})


async def test_an_old_runs_error_never_lands_on_the_restarted_task(env):
    svc = env.tasks
    await svc.create_task(
        {
            "id": "x",
            "type": "stream",
            "dbrps": DBRPS,
            "script": "stream|from()",
            "status": "enabled",
        }
    )
    old = env.taskmaster.tasks["x"]
    # the old run fails while an update already restarts the task: the update holds the lock
    # first, so the old run's watcher only gets it after the fresh document is stored
    old.fail(old.nodes["from1"], "old trouble")
    await svc.update_task("x", {"script": "stream|from().measurement('m')"})
    assert old.finished.is_set() and old.error == "from1: old trouble"
    # a second update queues behind that watcher (the lock is fair) and stores what it finds
    await svc.update_task("x", {"status": "enabled"})
    assert (await env.store.get("tasks", "x"))["error"] == ""
    view = await svc.get_task("x")
    assert view["executing"] is True and view["error"] == ""
