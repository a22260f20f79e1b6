"""Unit tests of the SQLite document store."""

from __future__ import annotations

import sqlite3

import pytest
import trio

from kapacitrio.storage.db import Store, StoreError, open_store


async def test_put_get_list_delete(tmp_path):
    async with open_store(tmp_path / "d" / "k.db") as store:
        assert await store.get("tasks", "a") is None
        await store.put("tasks", "b", {"id": "b", "n": 2, "text": "héllo"})
        await store.put("tasks", "a", {"id": "a", "n": 1})
        await store.put("templates", "a", {"id": "a", "kind": "t"})
        assert await store.get("tasks", "b") == {"id": "b", "n": 2, "text": "héllo"}
        assert [d["id"] for d in await store.list("tasks")] == ["a", "b"]
        await store.put("tasks", "a", {"id": "a", "n": 10})
        assert (await store.get("tasks", "a"))["n"] == 10
        assert await store.ids("tasks") == ["a", "b"]
        assert await store.count("tasks") == 2
        assert await store.delete("tasks", "a") is True
        assert await store.delete("tasks", "a") is False
        assert await store.ids("tasks") == ["b"]
        assert await store.get("templates", "a") == {"id": "a", "kind": "t"}
        assert await store.delete_kind("templates") == 1


async def test_list_pattern_paging_and_match(tmp_path):
    async with open_store(tmp_path / "k.db") as store:
        for i, name in enumerate(["cpu1", "cpu2", "mem1", "cpu3", "disk"]):
            await store.put("t", name, {"id": name, "group": "even" if i % 2 == 0 else "odd"})
        ids = lambda docs: [d["id"] for d in docs]  # noqa: E731
        assert ids(await store.list("t", pattern="cpu*")) == ["cpu1", "cpu2", "cpu3"]
        assert ids(await store.list("t", pattern="???1")) == ["cpu1", "mem1"]
        assert ids(await store.list("t", pattern="[cd]*")) == ["cpu1", "cpu2", "cpu3", "disk"]
        assert ids(await store.list("t", offset=1, limit=2)) == ["cpu2", "cpu3"]
        assert ids(await store.list("t", offset=10)) == []
        assert ids(await store.list("t", limit=0)) == []
        assert ids(await store.list("t", match={"group": "odd"})) == ["cpu2", "cpu3"]
        assert await store.count("t", {"group": "even"}) == 3
        assert await store.ids("t", "m*") == ["mem1"]


async def test_transaction_commits_or_rolls_back(tmp_path):
    async with open_store(tmp_path / "k.db") as store:
        async with store.transaction() as tx:
            await tx.put("k", "1", {"v": 1})
            await tx.put("k", "2", {"v": 2})
            assert await tx.get("k", "1") == {"v": 1}
        assert await store.ids("k") == ["1", "2"]
        with pytest.raises(RuntimeError):
            async with store.transaction() as tx:
                await tx.delete("k", "1")
                await tx.put("k", "3", {"v": 3})
                assert [d["v"] for d in await tx.list("k")] == [2, 3]
                raise RuntimeError("boom")
        assert await store.ids("k") == ["1", "2"]
        # a cancelled transaction rolls back as well
        with trio.move_on_after(0) as scope:
            async with store.transaction() as tx:
                await tx.put("k", "4", {"v": 4})
                await trio.sleep(1)
        assert scope.cancelled_caught
        assert await store.ids("k") == ["1", "2"]


async def test_transactions_are_serialised(tmp_path):
    """Concurrent read-modify-write transactions never lose an update."""
    async with open_store(tmp_path / "k.db") as store:
        await store.put("c", "n", {"n": 0})

        async def bump() -> None:
            async with store.transaction() as tx:
                doc = await tx.get("c", "n")
                await trio.sleep(0)
                await tx.put("c", "n", {"n": doc["n"] + 1})

        async with trio.open_nursery() as nursery:
            for _ in range(20):
                nursery.start_soon(bump)
        assert await store.get("c", "n") == {"n": 20}


async def test_data_survives_reopen_and_uses_wal(tmp_path):
    path = tmp_path / "k.db"
    async with open_store(path) as store:
        await store.put("tasks", "x", {"id": "x"})
    async with open_store(path) as store:
        assert await store.get("tasks", "x") == {"id": "x"}
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


async def test_backup_is_a_consistent_database(tmp_path):
    async with open_store(tmp_path / "k.db") as store:
        await store.put("tasks", "x", {"id": "x"})
        data = await store.backup_bytes()
    assert data.startswith(b"SQLite format 3\x00")
    copy = tmp_path / "copy.db"
    copy.write_bytes(data)
    async with open_store(copy) as restored:
        assert await restored.get("tasks", "x") == {"id": "x"}
    assert not list(tmp_path.glob(".k.db.backup-*"))


async def test_concurrent_backups_are_whole_and_leave_nothing_behind(tmp_path):
    data_dir = tmp_path / "data"
    results: list[bytes] = []
    async with open_store(data_dir / "k.db") as store:
        for i in range(50):
            await store.put("tasks", f"t{i}", {"id": f"t{i}", "pad": "x" * 2000})

        async def one() -> None:
            results.append(await store.backup_bytes())

        async with trio.open_nursery() as nursery:
            for _ in range(30):
                nursery.start_soon(one)
        left = sorted(p.name for p in data_dir.iterdir())
    assert left == ["k.db", "k.db-shm", "k.db-wal"]
    assert len(results) == 30
    for i, data in enumerate(results):
        copy = tmp_path / f"copy{i}.db"
        copy.write_bytes(data)
        conn = sqlite3.connect(str(copy))
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            conn.close()
        async with open_store(copy) as restored:
            assert await restored.count("tasks") == 50


async def test_closed_store_and_bad_path(tmp_path):
    store = await Store.open(tmp_path / "k.db")
    await store.close()
    await store.close()
    with pytest.raises(StoreError):
        await store.get("a", "b")
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError):
        await Store.open(tmp_path / "file" / "k.db")


async def test_using_the_store_inside_its_own_transaction_fails_loudly(tmp_path):
    async with open_store(tmp_path / "k.db") as store:
        with pytest.raises(RuntimeError):
            async with store.transaction() as tx:
                await tx.put("k", "1", {})
                await store.get("k", "1")
        assert await store.ids("k") == []
