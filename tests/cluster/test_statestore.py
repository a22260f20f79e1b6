"""Checkpoints through a real nats-server: small ones as KV values, large ones (over what one NATS
message holds) through the JetStream object store, so no node state is dropped; a task whose
windows hold megabytes hands them over at a clean stop and goes on exactly."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import trio

from kapacitrio.cluster.config import ClusterConfig
from kapacitrio.cluster.ingest import Feed, Ingest
from kapacitrio.cluster.link import NatsLink
from kapacitrio.cluster.statestore import IN_KV, StateStore
from kapacitrio.engine.clock import TrioClock
from kapacitrio.engine.taskmaster import open_taskmaster
from tests.cluster.test_feed_state import member_task
from tests.engine.helpers import T0, S
from tests.engine.recording import SEEN
from tests.natsserver import running_nats


@asynccontextmanager
async def _link(workdir: Path) -> AsyncIterator[NatsLink]:
    with running_nats(workdir) as url:
        link = NatsLink(ClusterConfig(enabled=True, nats_urls=[url], prefix="st"), "test")
        async with trio.open_nursery() as nursery:
            await nursery.start(link.run)
            yield link
            nursery.cancel_scope.cancel()


def _big_doc(seq: int, size: int) -> dict:
    """A checkpoint whose node state does not compress below `size` bytes."""
    blob = base64.b64encode(random.Random(seq).randbytes(size)).decode()
    return {"seq": seq, "task": "t", "nodes": {"n": {"kind": "x", "v": 2, "state": blob}}}


async def test_a_large_checkpoint_goes_through_the_object_store(tmp_path: Path) -> None:
    async with _link(tmp_path) as link:
        store = StateStore(link)
        big = _big_doc(7, 3 * 1024 * 1024)  # three times what one NATS message may carry
        await store.save("pos.a", big)
        raw = await link.kv_get(link.names.state, "pos.a")
        assert raw is not None and raw[:1] == b"o" and len(raw) < 200  # a pointer only
        assert await store.load("pos.a") == big
        # a later small checkpoint is a KV value again, and the object is deleted
        small = {"seq": 9, "task": "t", "nodes": {"n": {"kind": "x", "v": 2, "state": [1]}}}
        await store.save("pos.a", small)
        assert await store.load("pos.a") == small
        assert await link.obj_get("pos.a") is None
        # a member that took the task over deletes the object it restored from, too
        await store.save("pos.a", _big_doc(10, IN_KV + 1024))
        other = StateStore(link)
        assert (await other.load("pos.a"))["seq"] == 10
        await other.save("pos.a", small)
        assert await link.obj_get("pos.a") is None
        await store.save("pos.a", _big_doc(11, IN_KV + 1024))
        await store.delete("pos.a")
        assert await store.load("pos.a") == {"seq": 0}
        assert await link.obj_get("pos.a") is None


async def test_an_unreadable_object_still_gives_the_position(tmp_path: Path) -> None:
    async with _link(tmp_path) as link:
        store = StateStore(link)
        await store.save("pos.b", _big_doc(5, 2 * 1024 * 1024))
        await link.obj_delete("pos.b")  # as if lost: the pointer still holds the position
        assert await store.load("pos.b") == {"seq": 5}
        await link.kv_put(link.names.state, "pos.c", b"z\x00\x01 not zlib")
        assert await store.load("pos.c") == {"seq": 0}
        await link.kv_put(link.names.state, "pos.d", b"o{broken")
        assert await store.load("pos.d") == {"seq": 0}


SCRIPT = """stream|from().measurement('cpu').groupBy('host')
    |window().periodCount(4000).everyCount(4000)"""
HOSTS = 40


def _writes(n: int) -> list[str]:
    """`n` writes of 100 points per host, one second apart."""
    rng = random.Random(n)
    return [
        "\n".join(
            f"cpu,host=h{h} value={rng.random()} {T0 + (i * 100 + j) * S + h}"
            for j in range(100)
            for h in range(HOSTS)
        )
        for i in range(n)
    ]


WRITES = _writes(45)


async def _owner(link: NatsLink, run: str, writes: list[str]) -> Feed:
    """One member runs the task while `writes` arrive, then stops cleanly (its state handed over)."""
    SEEN[run] = []
    async with open_taskmaster(TrioClock(T0)) as tm:
        ingest = Ingest(link, lambda: T0, checkpoint=30.0, poll=0.05, member=run)
        feed = await member_task(tm, ingest, run, SCRIPT)
        async with trio.open_nursery() as nursery:
            await nursery.start(feed.run)
            until = feed.handed + len(writes)  # one stream message per write
            for body in writes:
                await ingest.publish("db", "rp", "n", body.encode())
            with trio.fail_after(60):
                while feed.handed < until:
                    await trio.sleep(0.05)
            nursery.cancel_scope.cancel()
        await feed.snapshot_before_stop()
        await tm.stop_task("t")
        await feed.final_checkpoint()
    return feed


async def test_megabytes_of_window_state_are_handed_over(tmp_path: Path) -> None:
    async with _link(tmp_path) as link:
        await _owner(link, "whole", WRITES)
        await Ingest(link, lambda: T0, 1.0, 0.1).forget("t")
    async with _link(tmp_path / "again") as link:
        first = await _owner(link, "first", WRITES[:30])  # 3000 points per group held
        raw = await link.kv_get(link.names.state, "pos." + first.durable.rsplit("_", 1)[0])
        assert raw is not None and raw[:1] == b"o"
        pointer = json.loads(raw[1:])
        assert pointer["seq"] == first.saved and pointer["size"] > IN_KV
        second = await _owner(link, "second", WRITES[30:])
        assert second.restored == 1
    assert SEEN["whole"] and len(SEEN["whole"]) == HOSTS  # one batch of 4000 per group
    assert SEEN["first"] == [] and SEEN["second"] == SEEN["whole"]
