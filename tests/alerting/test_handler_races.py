"""Topic-handler changes are serialised: no lost DELETE, one winner per id, renames in one transaction."""

from __future__ import annotations

import sqlite3

import pytest
import trio

from kapacitrio.alerting.service import HANDLERS_KIND, AlertService, AlertServiceError, NotFound
from kapacitrio.storage.db import open_store

SPEC = {"id": "h", "kind": "tcp", "options": {"address": "localhost:1"}}


@pytest.fixture
async def stored(tmp_path, nursery):
    async with open_store(tmp_path / "k.db") as store:
        svc = AlertService(store)
        await nursery.start(svc.run)
        yield svc, store


async def test_delete_racing_patch_never_leaves_the_handler_active(stored):
    svc, store = stored
    for i in range(40):
        hid = f"h{i}"
        await svc.create_handler("t", {**SPEC, "id": hid})
        outcome: dict[str, bool] = {}

        async def patch(hid: str = hid, outcome: dict = outcome) -> None:
            try:
                await svc.patch_handler(
                    "t", hid, [{"op": "replace", "path": "/options/address", "value": "x:2"}]
                )
                outcome["patch"] = True
            except NotFound:
                outcome["patch"] = False

        async def delete(hid: str = hid, outcome: dict = outcome) -> None:
            await svc.delete_handler("t", hid)
            outcome["delete"] = True

        async with trio.open_nursery() as nursery:
            if i % 2:
                nursery.start_soon(patch)
                nursery.start_soon(delete)
            else:
                nursery.start_soon(delete)
                nursery.start_soon(patch)
        assert outcome["delete"]
        assert hid not in svc.topics["t"].handlers
        assert await store.get(HANDLERS_KIND, f"t/{hid}") is None


async def test_concurrent_creates_of_one_id_have_one_winner(stored):
    svc, store = stored
    wins: list[str] = []
    losses: list[str] = []

    async def create(n: int) -> None:
        try:
            await svc.create_handler("t", {**SPEC, "options": {"address": f"localhost:{n}"}})
            wins.append(f"localhost:{n}")
        except AlertServiceError as exc:
            assert "already exists" in str(exc)
            losses.append(str(n))

    async with trio.open_nursery() as nursery:
        for n in range(1, 21):
            nursery.start_soon(create, n)
    assert len(wins) == 1 and len(losses) == 19
    stored_doc = await store.get(HANDLERS_KIND, "t/h")
    assert stored_doc["options"]["address"] == wins[0]
    assert svc.get_handler("t", "h")["options"]["address"] == wins[0]


async def test_rename_is_one_transaction(stored, monkeypatch):
    svc, store = stored
    await svc.create_handler("t", SPEC)
    real_put = store._ops.put

    def failing_put(kind, id, doc):
        if kind == HANDLERS_KIND:
            raise sqlite3.OperationalError("disk I/O error")
        return real_put(kind, id, doc)

    monkeypatch.setattr(store._ops, "put", failing_put)
    with pytest.raises(sqlite3.OperationalError):
        await svc.replace_handler("t", "h", {**SPEC, "id": "renamed"})
    monkeypatch.setattr(store._ops, "put", real_put)
    # Nothing was half-applied: the old handler is still stored and active, the new one is not.
    assert (await store.get(HANDLERS_KIND, "t/h"))["id"] == "h"
    assert await store.get(HANDLERS_KIND, "t/renamed") is None
    assert svc.get_handler("t", "h")["id"] == "h"
    await svc.replace_handler("t", "h", {**SPEC, "id": "renamed"})
    assert await store.ids(HANDLERS_KIND) == ["t/renamed"]
    assert [s["id"] for s in svc.list_handlers("t")] == ["renamed"]


async def test_rename_onto_an_existing_id_is_refused(stored):
    svc, store = stored
    await svc.create_handler("t", SPEC)
    await svc.create_handler("t", {**SPEC, "id": "other"})
    with pytest.raises(AlertServiceError, match="already exists"):
        await svc.replace_handler("t", "h", {**SPEC, "id": "other"})
    assert sorted(await store.ids(HANDLERS_KIND)) == ["t/h", "t/other"]


@pytest.mark.parametrize(
    "patch",
    ['[{"op": "replace"', '"not a patch"', "5", "{}", '[{"op": "replace", "path": 5}]', "[1]"],
)
async def test_patch_bodies_that_are_not_patches_are_400(stored, patch):
    svc, _ = stored
    await svc.create_handler("t", SPEC)
    import json

    try:
        body = json.loads(patch)
    except ValueError:
        body = patch  # the API answers `invalid JSON` before the service sees it
    with pytest.raises(AlertServiceError):
        await svc.patch_handler("t", "h", body)
    assert svc.get_handler("t", "h")["options"] == SPEC["options"]
