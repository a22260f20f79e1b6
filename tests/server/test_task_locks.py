"""Per-key locks of the task service: shared keys queue, disjoint ones do not, nothing leaks."""

from __future__ import annotations

import trio
import trio.testing

from kapacitrio.tasks.locks import KeyedLock
from tests.server.test_task_service import DBRPS, env  # noqa: F401  (the fixture)


async def test_shared_keys_wait_disjoint_keys_do_not(autojump_clock):
    locks = KeyedLock()
    log: list[tuple[str, float]] = []

    async def hold(name: str, keys: list[str]) -> None:
        async with locks.hold(keys):
            log.append((name, trio.current_time()))
            await trio.sleep(1)

    async with trio.open_nursery() as n:
        n.start_soon(hold, "a", ["task:x", "template:t"])
        await trio.testing.wait_all_tasks_blocked()
        n.start_soon(hold, "b", ["template:t", "task:y"])  # shares template:t with a
        n.start_soon(hold, "c", ["task:z"])
    t = dict(log)
    assert t["c"] - t["a"] < 0.5 and t["b"] - t["a"] >= 1
    assert locks.busy() == []  # unused locks are dropped


async def test_concurrent_create_and_rename_onto_one_id(env):  # noqa: F811
    svc = env.tasks
    script = "stream|from().measurement('m')|httpOut('o')"
    await svc.create_task({"id": "a", "type": "stream", "dbrps": DBRPS, "script": script})
    outcome = {}

    async def create():
        try:
            await svc.create_task({"id": "b", "type": "stream", "dbrps": DBRPS, "script": script})
            outcome["create"] = "ok"
        except Exception as exc:
            outcome["create"] = str(exc)

    async def rename():
        try:
            await svc.update_task("a", {"id": "b"})
            outcome["rename"] = "ok"
        except Exception as exc:
            outcome["rename"] = str(exc)

    async with trio.open_nursery() as n:
        n.start_soon(create)
        n.start_soon(rename)
    won = [k for k, v in outcome.items() if v == "ok"]
    assert len(won) == 1, outcome  # exactly one of them took the id
    lost = "rename" if won == ["create"] else "create"
    assert outcome[lost] == "task b already exists"
    params = {"pattern": "", "offset": 0, "limit": 100, "fields": None}
    params.update(script_format="raw", dot_view="attributes")
    ids = {t["id"] for t in await svc.list_tasks(params)}
    assert ids == ({"a", "b"} if won == ["create"] else {"b"})
