"""Keepalive bookkeeping of a UDF session on trio's MockClock: what counts as a sign of life."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from kapacitrio.udf import udf_pb2 as pb
from kapacitrio.udf import wire
from kapacitrio.udf.agent import Connection, Session, go_time

TIMEOUT = 3 * 10**9


def _wall() -> int:
    return 1_500_000_000 * 10**9 + int(trio.current_time() * 1e9)


async def _agent(requests, responses, answer: set[str]) -> None:
    """An agent in memory answering only the request kinds in `answer`."""
    dec = wire.Decoder(pb.Request)
    while data := await requests.receive_some(65536):
        for req in dec.feed(data):
            kind = req.WhichOneof("message")
            if kind not in answer:
                continue
            resp = pb.Response()
            if kind == "keepalive":
                resp.keepalive.time = req.keepalive.time
            elif kind == "snapshot":
                resp.snapshot.snapshot = b"s"
            await responses.send_all(wire.frame(resp))


async def _session(answer: set[str], snapshots_every: float | None, run_for: float):
    """Run a session for up to `run_for` seconds: (error, seconds it ran, snapshots, start wall)."""
    to_agent, agent_in = trio.testing.memory_stream_one_way_pair()
    agent_out, from_agent = trio.testing.memory_stream_one_way_pair()
    session = Session(Connection(to_agent, from_agent), TIMEOUT, _wall, lambda lvl, msg: None)
    start, start_wall = trio.current_time(), _wall()
    snaps = []

    async def snapshotter() -> None:
        while True:
            await trio.sleep(snapshots_every)
            snaps.append(await session.snapshot())

    with trio.move_on_after(run_for):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_agent, agent_in, agent_out, answer)
            async with trio.open_nursery() as inner:
                inner.start_soon(session.run, inner.cancel_scope)
                if snapshots_every:
                    inner.start_soon(snapshotter)
            nursery.cancel_scope.cancel()
    return session.error, trio.current_time() - start, len(snaps), start_wall


def test_missed_keepalives_time_out_after_the_timeout():
    async def main():
        error, took, _, start = await _session(set(), None, 60)
        assert error == "keepalive timedout, last keepalive received was: " + go_time(start)
        assert took == pytest.approx(3.0)
        # Answered keepalives (every half timeout) keep it alive for a minute.
        error, took, _, _ = await _session({"keepalive"}, None, 60)
        assert error == "" and took == pytest.approx(60.0)

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))


def test_any_response_is_a_sign_of_life_as_in_kapacitor():
    # Kapacitor resets the keepalive timer on every response, not only KeepaliveResponses:
    # an agent that answers snapshot requests every second is alive even if it ignores keepalives.
    async def main():
        error, took, snaps, _ = await _session({"snapshot"}, 1.0, 30)
        assert error == "" and took == pytest.approx(30.0) and snaps >= 29
        # Once the answers stop (at 10 s), the timeout runs from the last one.
        answer = {"snapshot"}

        async def stop_answering() -> None:
            await trio.sleep(10.5)
            answer.clear()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(stop_answering)
            error, took, snaps, start = await _session(answer, 1.0, 60)
        assert snaps == 10 and took == pytest.approx(13.0)
        assert error.endswith("was: " + go_time(start + 10 * 10**9))

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
