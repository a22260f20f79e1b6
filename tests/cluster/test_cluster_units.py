"""Cluster pieces without NATS: config, rendezvous placement, KV keys, subjects, the store cache."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import trio

from kapacitrio.cluster.config import ClusterConfig
from kapacitrio.cluster.ingest import filter_subject, split_body, token, untoken
from kapacitrio.cluster.kvstore import ClusterStore, doc_key, parse_key
from kapacitrio.cluster.members import owner_of
from kapacitrio.config import ConfigError, load
from kapacitrio.storage.db import Store, open_store


def test_cluster_off_by_default() -> None:
    cfg = load(None, env={})
    assert cfg.get("cluster").enabled is False


def test_cluster_env_overrides() -> None:
    env = {
        "KAPACITOR_CLUSTER_ENABLED": "true",
        "KAPACITOR_CLUSTER_NATS_URLS": "nats://a:4222, nats://b:4222",
        "KAPACITOR_CLUSTER_NAME": "node-7",
    }
    c = load(None, env=env).get("cluster")
    assert c.enabled is True
    assert c.nats_urls == ["nats://a:4222", "nats://b:4222"]
    assert c.instance_name("whatever") == "node-7"


def test_cluster_file_section(tmp_path: Path) -> None:
    path = tmp_path / "k.toml"
    path.write_text(
        '[cluster]\nenabled = true\nnats-urls = ["nats://x:1"]\nreplicas = 3\n'
        'username = "u"\npassword = "p"\nlease = "3s"\nheartbeat = "500ms"\n'
    )
    c = load(path, env={}).get("cluster")
    assert (c.replicas, c.username, c.password) == (3, "u", "p")
    assert c.seconds("lease") == 3.0 and c.seconds("heartbeat") == 0.5
    assert "password" in ClusterConfig.SECRETS


@pytest.mark.parametrize(
    "body, needle",
    [
        ("[cluster]\nreplicas = 0\n", "replicas"),
        ('[cluster]\nheartbeat = "2s"\nlease = "3s"\n', "lease"),
        ("[cluster]\nenabled = true\nnats-urls = []\n", "nats-urls"),
        ('[cluster]\nprefix = "a.b"\n', "prefix"),
    ],
)
def test_cluster_bad_config(tmp_path: Path, body: str, needle: str) -> None:
    path = tmp_path / "k.toml"
    path.write_text(body)
    with pytest.raises(ConfigError, match=needle):
        load(path, env={})


def test_name_defaults_to_hostname() -> None:
    assert ClusterConfig().instance_name("box-1") == "box-1"
    assert ClusterConfig().instance_name("localhost")  # the machine's name, never empty


def test_rendezvous_is_stable_and_moves_only_the_dead_members_tasks() -> None:
    tasks = [f"task-{i}" for i in range(300)]
    three = ["a", "b", "c"]
    before = {t: owner_of(t, three) for t in tasks}
    assert before == {t: owner_of(t, list(reversed(three))) for t in tasks}  # order-free
    spread = Counter(before.values())
    assert set(spread) == set(three) and min(spread.values()) > 60  # roughly even
    after = {t: owner_of(t, ["a", "c"]) for t in tasks}
    for t in tasks:
        if before[t] != "b":
            assert after[t] == before[t]  # survivors keep their tasks
        else:
            assert after[t] in ("a", "c")
    assert owner_of("x", []) is None


def test_kv_keys_round_trip() -> None:
    for kind, doc_id in [("tasks", "cpu"), ("alert_handlers", "top/h 1"), ("x", "ünï.*>")]:
        key = doc_key(kind, doc_id)
        assert all(c.isalnum() or c in "-_." for c in key)
        assert parse_key(key) == (kind, doc_id)
    assert parse_key("garbage") is None


def test_subject_tokens_and_filters() -> None:
    assert token("cpu") == "cpu"
    for odd in ["a.b", "with space", "*", ">", "", "ü"]:
        assert untoken(token(odd)) == odd
        assert "." not in token(odd) and " " not in token(odd)
    base = "kp.points"
    assert filter_subject(base, [("db", "rp")], {"cpu"}) == "kp.points.db.rp.cpu"
    assert filter_subject(base, [("db", "rp")], {""}) == "kp.points.db.rp.*"
    assert filter_subject(base, [("db", "")], {"cpu", "mem"}) == "kp.points.db.*.*"
    assert filter_subject(base, [("a", "r"), ("b", "r")], {"cpu"}) == "kp.points.>"


def test_split_body_by_measurement() -> None:
    body = "cpu,host=a v=1 1\n# comment\n\nmem v=2 2\ncpu v=3 3\nwe\\,ird\\ m v=4\n"
    groups = split_body(body)
    assert groups == {
        "cpu": ["cpu,host=a v=1 1", "cpu v=3 3"],
        "mem": ["mem v=2 2"],
        "we,ird m": ["we\\,ird\\ m v=4"],
    }


class FakeLink:
    """The part of `NatsLink` the store uses, in memory."""

    errors = (OSError,)

    def __init__(self) -> None:
        self.kv: dict[str, dict[str, bytes]] = {"defs": {}}
        self.revision = 0  # of the last put, as JetStream numbers a stream's messages
        self.fail = False

    async def kv_put(self, bucket: str, key: str, value: bytes) -> int:
        if self.fail:
            raise OSError("down")
        self.kv[bucket][key] = value
        self.revision += 1
        return self.revision

    async def kv_delete(self, bucket: str, key: str) -> None:
        self.kv[bucket].pop(key, None)

    async def kv_items(self, bucket: str) -> dict[str, bytes]:
        return dict(self.kv[bucket])


async def test_cluster_store_shared_and_local_kinds(tmp_path: Path) -> None:
    from kapacitrio.storage.db import StoreError

    link = FakeLink()
    async with open_store(tmp_path / "db.sqlite") as local:
        store = ClusterStore(local, link, {"tasks": "defs"})
        seen: list[tuple[str, str, bool]] = []
        store.listeners.append(lambda k, i, d, remote: seen.append((k, i, remote)))
        await store.put("tasks", "b", {"id": "b", "status": "enabled"})
        await store.put("tasks", "a", {"id": "a", "status": "disabled"})
        await store.put("users", "u", {"name": "u"})
        await store.put_many("tasks", [("m1", {"id": "m1"}), ("m2", {"id": "m2"})])
        await store.put_many("users", [("w", {"name": "w"})])
        assert {doc_key("tasks", "m1"), doc_key("tasks", "m2")} <= set(link.kv["defs"])
        assert await local.get("tasks", "m1") is None and await local.get("users", "w")
        for m in ("m1", "m2"):
            assert await store.delete("tasks", m)
        assert doc_key("tasks", "a") in link.kv["defs"]
        assert await local.get("tasks", "a") is None  # shared kinds are not in SQLite
        assert await local.get("users", "u") == {"name": "u"}
        assert [d["id"] for d in await store.list("tasks")] == ["a", "b"]
        assert await store.count("tasks", {"status": "enabled"}) == 1
        assert await store.ids("tasks", "a*") == ["a"]
        doc = await store.get("tasks", "a")
        doc["status"] = "changed"  # callers own what they read
        assert (await store.get("tasks", "a"))["status"] == "disabled"
        # a remote change reaches the cache and the listeners; an echo of ours does not
        text = json.dumps({"id": "c"})
        link.kv["defs"][doc_key("tasks", "c")] = text.encode()  # as a peer would
        del link.kv["defs"][doc_key("tasks", "a")]
        assert store.apply_remote("tasks", "c", text) is True
        assert store.apply_remote("tasks", "c", text) is False
        assert store.apply_remote("tasks", "a", None) is True
        assert await store.ids("tasks") == ["b", "c"]
        assert ("tasks", "c", True) in seen and ("tasks", "b", False) in seen
        # the late echo of a put of ours we have deleted since is stale, not a peer's put
        await store.put("tasks", "e", {"id": "e"})
        put_revision = link.revision
        assert await store.delete("tasks", "e")
        assert store.apply_remote("tasks", "e", json.dumps({"id": "e"}), put_revision) is False
        assert await store.ids("tasks") == ["b", "c"]
        newer = json.dumps({"id": "e", "by": "peer"})  # a peer's put after ours is applied
        assert store.apply_remote("tasks", "e", newer, put_revision + 2) is True
        assert await store.ids("tasks") == ["b", "c", "e"]
        assert store.apply_remote("tasks", "e", None, put_revision + 3) is True
        async with store.transaction() as tx:
            await tx.put("tasks", "d", {"id": "d"})
            await tx.delete("tasks", "b")
            assert await tx.get("tasks", "d") == {"id": "d"}
            assert [x["id"] for x in await tx.list("tasks")] == ["c", "d"]
            await tx.put("users", "v", {"name": "v"})
        assert await store.ids("tasks") == ["c", "d"]
        assert await store.get("users", "v") == {"name": "v"}
        link.fail = True
        with pytest.raises(StoreError):
            await store.put("tasks", "e", {"id": "e"})
        assert await store.get("tasks", "e") is None  # a refused write changes nothing
        fresh = ClusterStore(local, link, {"tasks": "defs"})
        await fresh.load()
        assert await fresh.ids("tasks") == ["c", "d"]


async def test_bridge_runs_coroutines_and_cancels_them() -> None:
    import asyncio

    from kapacitrio.cluster.bridge import AsyncioBridge, BridgeClosed

    bridge = AsyncioBridge()
    cancelled = []

    async def slow() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    async def boom() -> None:
        raise KeyError("x")

    async def add(a: int, b: int) -> int:
        await asyncio.sleep(0)
        return a + b

    async with trio.open_nursery() as nursery:
        await nursery.start(bridge.run)
        assert await bridge.call(add, 2, 3) == 5
        with pytest.raises(KeyError):
            await bridge.call(boom)
        with trio.move_on_after(0.2) as scope:
            await bridge.call(slow)
        assert scope.cancelled_caught
        nursery.cancel_scope.cancel()
    assert cancelled == [True]
    assert bridge.loop is None
    with pytest.raises(BridgeClosed):
        await bridge.call(add, 1, 1)


def test_big_writes_are_split_into_small_messages() -> None:
    from kapacitrio.cluster.ingest import MAX_MESSAGE, _payloads

    lines = [f"cpu,host=h{i} value={i} {i}" for i in range(60000)]
    parts = _payloads(lines)
    assert len(parts) > 1
    assert all(len(p) <= MAX_MESSAGE for p in parts)
    assert b"\n".join(parts).decode().split("\n") == lines  # nothing lost, order kept


class MembersLink:
    """The part of `NatsLink` membership uses: one bucket in memory, puts that can fail."""

    errors = (OSError,)

    class names:  # noqa: N801 - mirrors NatsLink.names
        members = "members"

    def __init__(self) -> None:
        self.kv: dict[str, bytes] = {}
        self.down = False

    async def kv_put(self, bucket: str, key: str, value: bytes) -> int:
        if self.down:
            raise OSError("cut off")
        self.kv[key] = value
        return 1

    async def kv_items(self, bucket: str) -> dict[str, bytes]:
        if self.down:
            raise OSError("cut off")
        return dict(self.kv)

    async def kv_delete(self, bucket: str, key: str) -> None:
        self.kv.pop(key, None)


async def test_members_liveness_fencing_and_leaving(autojump_clock: trio.testing.MockClock) -> None:
    import time as _time

    from kapacitrio.cluster.members import Members

    link = MembersLink()
    now = _time.time_ns()
    link.kv["fresh"] = json.dumps({"name": "fresh", "url": "u", "ts": now}).encode()
    link.kv["stale"] = json.dumps({"name": "stale", "url": "u", "ts": now - 10**10}).encode()
    members = Members(link, "me", "http://me", heartbeat=0.5, lease=2.0)
    async with trio.open_nursery() as nursery:
        await nursery.start(members.run)
        assert members.names() == ["fresh", "me"]  # a record older than the lease is gone
        assert not members.fenced and not members.settled  # just joined: starts nothing yet
        await trio.sleep(1.1)
        assert members.settled
        link.kv["fresh"] = json.dumps({"name": "fresh", "url": "u", "ts": _time.time_ns()}).encode()
        link.down = True  # cut off: no renewal, no reading
        await trio.sleep(1.0)
        assert not members.fenced  # within lease - heartbeat of the last renewal
        await trio.sleep(1.0)
        assert members.fenced
        assert "me" not in members.names()
        assert members.owner("any-task") == "fresh"  # a fenced member never owns a task
        link.down = False
        await trio.sleep(0.6)
        assert not members.fenced and "me" in members.names()
        await members.leave()
        assert "me" not in link.kv  # the others see it gone at once
        await trio.sleep(1.0)
        assert "me" not in link.kv  # and it does not come back
        nursery.cancel_scope.cancel()


def test_cluster_store_has_every_method_of_the_store() -> None:
    """A method missing here would fail only when a cluster member calls it (AttributeError)."""
    # `open` builds a Store from a path; a ClusterStore is built over one instead
    public = {n for n in vars(Store) if not n.startswith("_") and n != "open"}
    missing = {n for n in public if not callable(getattr(ClusterStore, n, None))}
    assert not missing, f"ClusterStore lacks {sorted(missing)}"
