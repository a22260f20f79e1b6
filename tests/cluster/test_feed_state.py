"""A task's feed checkpoints its node state with its position: a task that moves (after a crash
or a clean stop) goes on with the same windows, in process with an in-memory stream."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import trio
import trio.testing

from kapacitrio.cluster.ingest import Feed, Ingest
from kapacitrio.engine.clock import TrioClock
from kapacitrio.engine.taskmaster import open_taskmaster
from tests.engine.helpers import T0, S
from tests.engine.recording import SEEN, recorded

SCRIPT = """stream|from().measurement('cpu').groupBy('host')
    |window().period(10s).every(4s)"""


class StreamLink:
    """The part of `NatsLink` a feed uses: one stream of messages and the state bucket."""

    errors = (OSError,)
    names = SimpleNamespace(points_subject="kp.points", state="state")

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.kv: dict[str, bytes] = {}

    async def publish_all(self, messages: list[tuple[str, bytes, dict[str, str]]]) -> list[int]:
        for subject, data, headers in messages:
            seq = len(self.messages) + 1
            meta = SimpleNamespace(sequence=SimpleNamespace(stream=seq))
            self.messages.append(
                SimpleNamespace(subject=subject, data=data, headers=headers, metadata=meta)
            )
        return [len(self.messages)]

    async def pull_consumer(self, durable: str, subject: str, start_seq: int, start_ns: int) -> Any:
        return SimpleNamespace(next=max(start_seq, 1))

    async def fetch(self, sub: Any, batch: int, timeout: float) -> list[Any]:
        out = self.messages[sub.next - 1 : sub.next - 1 + batch]
        if not out:
            await trio.sleep(timeout)
        sub.next += len(out)
        return out

    async def kv_get(self, bucket: str, key: str) -> bytes | None:
        return self.kv.get(key)

    async def kv_put(self, bucket: str, key: str, value: bytes) -> int:
        self.kv[key] = value
        return 1

    async def ack(self, msg: Any) -> None:
        pass

    async def unsubscribe(self, sub: Any) -> None:
        pass

    async def drop_consumer(self, durable: str) -> None:
        pass


WRITES = [
    "\n".join(f"cpu,host=h{h} value={i * 10 + h} {T0 + i * S + h}" for h in range(3))
    for i in range(40)
]


async def _publish(ingest: Ingest, writes: list[str], pause: float, trailing: bool) -> None:
    """The writes `pause` apart; with `trailing`, a pause after the last one too (else a crash
    comes right after it, before the next checkpoint)."""
    for i, body in enumerate(writes):
        if i:
            await trio.sleep(pause)
        await ingest.publish("db", "rp", "n", body.encode())
    if trailing:
        await trio.sleep(pause)


async def member_task(tm: Any, ingest: Ingest, run: str, script: str) -> Feed:
    """Task `t` on one member, its output recorded as `run`'s, and its feed (not started)."""
    await tm.start_task(run, recorded(script), [("db", "rp")])
    tm.tasks["t"] = tm.tasks.pop(run)  # one task id on every member, output kept apart
    tm.tasks["t"].ctx.task_id = run
    return Feed(ingest, tm, "t", [("db", "rp")], set(), 0)


async def _owner(
    link: StreamLink,
    run: str,
    writes: list[str],
    clean: bool,
    script: str = SCRIPT,
    at_once: bool = False,
) -> Feed:
    """One member running the task while `writes` arrive, then stopping (cleanly or not;
    `at_once`: a crash right after the last write, before the next checkpoint)."""
    SEEN[run] = []
    async with open_taskmaster(TrioClock(T0)) as tm:
        ingest = Ingest(link, lambda: T0, checkpoint=1.0, poll=0.1, member=run)
        feed = await member_task(tm, ingest, run, script)
        async with trio.open_nursery() as nursery:
            await nursery.start(feed.run)
            await _publish(ingest, writes, 0.3, trailing=not at_once)
            await trio.sleep(0.5 if clean else 0.05)  # a crash soon after the last write
            nursery.cancel_scope.cancel()
        if clean:
            await feed.snapshot_before_stop()
            await tm.stop_task("t")
            await feed.final_checkpoint()
        else:  # as kill -9: only the periodic checkpoint survives
            await tm.stop_task("t", drain=False)
    return feed


async def _uninterrupted() -> list[Any]:
    link = StreamLink()
    await _owner(link, "whole", WRITES, clean=False)
    return SEEN["whole"]


async def test_a_crashed_owners_windows_go_on_from_its_checkpoint(autojump_clock) -> None:
    whole = await _uninterrupted()
    link = StreamLink()
    first = await _owner(link, "first", WRITES[:23], clean=False, at_once=True)
    saved = json.loads(link.kv["pos." + first.durable.rsplit("_", 1)[0]])
    assert 0 < saved["seq"] < 23 and saved["nodes"]  # a checkpoint with the window's state
    second = await _owner(link, "second", WRITES[23:], clean=False)
    assert second.restored == 1
    after = SEEN["second"]
    # the replay from the checkpoint re-emits what came after it, then the same as uninterrupted
    assert after and after == whole[len(whole) - len(after) :]
    assert len(SEEN["first"]) + len(after) >= len(whole)


async def test_a_clean_stop_hands_the_windows_over_exactly(autojump_clock) -> None:
    whole = await _uninterrupted()
    link = StreamLink()
    first = await _owner(link, "first", WRITES[:23], clean=True)
    assert first.saved == 23  # everything handed over, with the state after it
    await _owner(link, "second", WRITES[23:], clean=False)
    assert SEEN["first"] + SEEN["second"] == whole


JOIN_SIGMA = """var cpu = stream|from().measurement('cpu').groupBy('host')
var mem = stream|from().measurement('mem').groupBy('host')
cpu|join(mem).as('c', 'm')
    |eval(lambda: sigma("c.value"), lambda: count()).as('sigma', 'n')"""
# mem lags cpu by one write: at any stop a join set is half full
JOIN_WRITES = [
    "\n".join(
        [f"cpu,host=h{h} value={(i * 7 + h) % 5 + 0.5} {T0 + i * S + h}" for h in range(2)]
        + [f"mem,host=h{h} used={i * 2 + h} {T0 + (i - 1) * S + h}" for h in range(2) if i]
    )
    for i in range(30)
]


async def test_a_join_and_its_lambdas_state_move_at_a_clean_stop(autojump_clock) -> None:
    await _owner(StreamLink(), "whole", JOIN_WRITES, clean=False, script=JOIN_SIGMA)
    link = StreamLink()
    first = await _owner(link, "first", JOIN_WRITES[:17], clean=True, script=JOIN_SIGMA)
    saved = json.loads(link.kv["pos." + first.durable.rsplit("_", 1)[0]])
    assert {item["kind"] for item in saved["nodes"].values()} >= {"join", "eval"}
    second = await _owner(link, "second", JOIN_WRITES[17:], clean=False, script=JOIN_SIGMA)
    assert second.restored >= 2
    assert SEEN["first"] + SEEN["second"] == SEEN["whole"]
    assert SEEN["second"][0][3]["n"] > 1  # count() went on


class LaggingRunner:
    """A handler runner that always has a backlog: it accepts events faster than it delivers."""

    def __init__(self) -> None:
        self.offered = 0
        self.finished = 0
        self.pending = True
        self.done = trio.Event()

    async def deliver(self, every: float) -> None:
        while True:
            await trio.sleep(every)
            self.finished = min(self.offered, self.finished + 1)


async def test_a_handler_that_never_catches_up_still_lets_the_checkpoint_advance(
    autojump_clock,
) -> None:
    link, runner = StreamLink(), LaggingRunner()
    marks: dict[int, int] = {}  # position of a candidate checkpoint -> events accepted by then
    saved: list[tuple[int, int]] = []  # (position saved, events delivered at that moment)
    feed: Any = None

    def delivery_marks(task_id: str) -> list[Any]:
        marks[feed.handed] = runner.offered
        return [(runner, runner.offered)]

    put = link.kv_put

    async def kv_put(bucket: str, key: str, value: bytes) -> int:
        saved.append((json.loads(value)["seq"], runner.finished))
        return await put(bucket, key, value)

    link.kv_put = kv_put  # type: ignore[method-assign]
    async with open_taskmaster(TrioClock(T0)) as tm:
        ingest = Ingest(link, lambda: T0, checkpoint=1.0, poll=0.1, member="m")
        await tm.start_task("t", recorded(SCRIPT), [("db", "rp")])
        feed = Feed(ingest, tm, "t", [("db", "rp")], {"cpu"}, 0)
        feed.alerts = SimpleNamespace(delivery_marks=delivery_marks)
        async with trio.open_nursery() as nursery:
            await nursery.start(feed.run)
            nursery.start_soon(runner.deliver, 0.2)
            for body in WRITES:
                await ingest.publish("db", "rp", "n", body.encode())
                runner.offered += 10  # ten events per write, five delivered meanwhile
                await trio.sleep(1.0)
            nursery.cancel_scope.cancel()
    assert runner.offered - runner.finished > 100  # the backlog only grew
    assert len(saved) >= 5 and saved[-1][0] > 10  # yet the position moved on, many times
    for seq, finished in saved:
        assert marks[seq] <= finished  # never past what the handlers had delivered
