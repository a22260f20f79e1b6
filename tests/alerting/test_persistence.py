"""Topic event state and API handlers survive a restart through the Store; deleting forgets them."""

from __future__ import annotations

import trio

from kapacitrio.alerting import levels
from kapacitrio.alerting.service import AlertService
from kapacitrio.storage.db import Store
from tests.alerting.conftest import make_event


class Running:
    """A started service that can be shut down and waited for."""

    def __init__(self, svc: AlertService) -> None:
        self.svc = svc
        self.scope = trio.CancelScope()
        self.done = trio.Event()

    async def stop(self) -> None:
        self.scope.cancel()
        await self.done.wait()


async def start(nursery: trio.Nursery, store: Store) -> tuple[AlertService, Running]:
    r = Running(AlertService(store))

    async def runner(task_status=trio.TASK_STATUS_IGNORED):
        try:
            with r.scope:
                await r.svc.run(task_status=task_status)
        finally:
            r.done.set()

    await nursery.start(runner)
    return r.svc, r


async def test_state_and_handlers_survive_restart(tmp_path):
    store = await Store.open(tmp_path / "db.sqlite")
    try:
        async with trio.open_nursery() as nursery:
            svc, scope = await start(nursery, store)
            svc.handle_event("sys", make_event(levels.CRITICAL, id="a", duration=7))
            svc.handle_event("sys", make_event(levels.WARNING, id="b"))
            svc.handle_event("gone", make_event(levels.INFO, id="c"))
            await svc.create_handler(
                "sys",
                {"id": "h", "kind": "tcp", "options": {"address": "h:1"}, "match": "level() > OK"},
            )
            await svc.delete_topic("gone")
            await scope.stop()  # a clean shutdown flushes what is pending

            svc2, scope2 = await start(nursery, store)
            assert svc2.get_topic("sys").level == levels.CRITICAL
            state = svc2.event("sys", "a")
            assert (state.level, state.duration, state.message) == (
                levels.CRITICAL,
                7,
                "a is CRITICAL",
            )
            assert svc2.event("sys", "b").level == levels.WARNING
            assert "gone" not in svc2.topics
            assert svc2.get_handler("sys", "h")["match"] == "level() > OK"
            # a new event after restart knows the previous level
            svc2.handle_event("sys", make_event(levels.OK, id="a"))
            assert svc2.event("sys", "a").level == levels.OK
            await svc2.delete_handler("sys", "h")
            await svc2.forget_task("nothing")
            await scope2.stop()

            svc3, scope3 = await start(nursery, store)
            assert svc3.event("sys", "a").level == levels.OK
            assert svc3.list_handlers("sys") == []
            await scope3.stop()
    finally:
        await store.close()
