"""The real server in process: `Connection: close`, HTTP/1.0 and idle keep-alive clients get closed,
and shutdown does not wait the graceful timeout for an idle keep-alive client."""

from __future__ import annotations

import pytest
import trio
from trio.testing import MockClock

from kapacitrio.config import load
from kapacitrio.server import run_server

#: How long hypercorn keeps an idle connection (seconds, the server's setting).
KEEP_ALIVE = 75


@pytest.fixture
def clock() -> MockClock:
    # Virtual time moves only when every task has waited 20 ms of real time, so loopback I/O in
    # flight is never skipped over but idle timers fire at once.
    return MockClock(autojump_threshold=0.02)


def _config(tmp_path, shutdown: str = "10s"):
    env = {
        "KAPACITOR_HTTP_BIND_ADDRESS": "127.0.0.1:0",
        "KAPACITOR_DATA_DIR": str(tmp_path / "data"),
        "KAPACITOR_HTTP_SHUTDOWN_TIMEOUT": shutdown,
        "KAPACITOR_HTTP_LOG_ENABLED": "false",
    }
    return load(None, env=env)


class Running:
    def __init__(self, port: int, shutdown: trio.Event, done: trio.Event) -> None:
        self.port, self.shutdown, self.done = port, shutdown, done


async def _start(nursery: trio.Nursery, tmp_path, **kw) -> Running:
    shutdown, done = trio.Event(), trio.Event()

    async def run(task_status=trio.TASK_STATUS_IGNORED):
        try:
            await run_server(_config(tmp_path, **kw), shutdown, task_status=task_status)
        finally:
            done.set()

    binds = await nursery.start(run)
    return Running(int(binds[0].rsplit(":", 1)[1]), shutdown, done)


async def _request(port: int, head: bytes) -> tuple[trio.SocketStream, bytes]:
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    await stream.send_all(head)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = await stream.receive_some(65536)
        assert chunk, "closed before answering"
        data += chunk
    return stream, data


async def _closed_by_server(stream: trio.SocketStream) -> bool:
    """True when the server closes the connection (EOF) within the hang guard."""
    with trio.move_on_after(KEEP_ALIVE * 2):
        while True:
            try:
                if await stream.receive_some(65536) == b"":
                    return True
            except trio.BrokenResourceError:
                return True
    return False


PING = b"GET /kapacitor/v1/ping HTTP/1.1\r\nHost: k\r\n"


@pytest.mark.parametrize(
    "head",
    [
        PING + b"Connection: close\r\n\r\n",
        b"GET /kapacitor/v1/ping HTTP/1.0\r\n\r\n",
        b"POST /write?db=d&rp=r HTTP/1.1\r\nHost: k\r\nConnection: close\r\n"
        b"Content-Length: 9\r\n\r\ncpu v=1 1",
    ],
    ids=["connection-close", "http-1.0", "write-close"],
)
async def test_server_closes_when_the_client_asks(tmp_path, clock, head):
    async with trio.open_nursery() as nursery:
        srv = await _start(nursery, tmp_path)
        stream, answer = await _request(srv.port, head)
        assert answer.split(b"\r\n")[0] in (b"HTTP/1.1 204 ", b"HTTP/1.1 204 No Content")
        start = trio.current_time()
        assert await _closed_by_server(stream)
        # Closed right after the answer, not by the keep-alive timer.
        assert trio.current_time() - start < KEEP_ALIVE
        srv.shutdown.set()


async def test_many_idle_keepalive_clients_are_closed_and_the_server_still_answers(tmp_path, clock):
    async with trio.open_nursery() as nursery:
        srv = await _start(nursery, tmp_path)
        streams = []
        for _ in range(300):
            stream, answer = await _request(srv.port, PING + b"\r\n")
            assert b" 204 " in answer.split(b"\r\n")[0]
            streams.append(stream)
        closed = [False] * len(streams)

        async def watch(i: int) -> None:
            closed[i] = await _closed_by_server(streams[i])

        async with trio.open_nursery() as watchers:
            for i in range(len(streams)):
                watchers.start_soon(watch, i)
        assert all(closed), f"{closed.count(False)} idle connections were never closed"
        stream, answer = await _request(srv.port, PING + b"Connection: close\r\n\r\n")
        assert b" 204 " in answer.split(b"\r\n")[0]
        for s in [*streams, stream]:
            await s.aclose()
        srv.shutdown.set()


async def test_shutdown_does_not_wait_for_an_idle_keepalive_client(tmp_path):
    # On the real clock: after HTTP drains, the store closes in a worker thread, and a mock clock
    # would jump over that real time to the next deadline and count it as a slow shutdown.
    async with trio.open_nursery() as nursery:
        srv = await _start(nursery, tmp_path, shutdown="30s")
        body = b"cpu v=1 1"
        head = b"POST /write?db=d&rp=r HTTP/1.1\r\nHost: k\r\nContent-Length: %d\r\n\r\n" % len(
            body
        )
        stream, answer = await _request(srv.port, head + body)
        assert b" 204 " in answer.split(b"\r\n")[0]
        start = trio.current_time()
        srv.shutdown.set()
        await srv.done.wait()  # bounded by the 30 s shutdown timeout when the client is waited for
        took = trio.current_time() - start
        assert took < 10, f"shutdown took {took:.1f}s with an idle client (shutdown timeout 30s)"
        await stream.aclose()
