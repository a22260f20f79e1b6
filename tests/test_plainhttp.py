"""The one-write plain-HTTP client against httpx on the same loopback servers: the same bytes on the
wire, the same responses, the same exception classes and texts, and connections kept alive as httpx
keeps them."""

from __future__ import annotations

import gzip

import httpx
import pytest
import trio
from trio.testing import MockClock

from kapacitrio.alerting.handlers.base import HandlerEnv, HandlerFailed
from kapacitrio.alerting.handlers.http import post
from kapacitrio.plainhttp import IDLE_EXPIRY_S, PlainHTTPClient

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


class Scripted:
    """A loopback server that records each request's raw bytes and answers with `reply(n)`:
    raw response bytes, or `None` to close at once, or `"hang"` to read on and never answer."""

    def __init__(self, reply) -> None:
        self.reply = reply
        self.requests: list[bytes] = []
        self.connections = 0
        self.url = ""

    def seen(self) -> list[bytes]:
        """The requests, with this server's own address (which differs per server) as HOST."""
        return [r.replace(self.url[len("http://") :].encode(), b"HOST") for r in self.requests]

    async def serve(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        self.url = f"http://127.0.0.1:{listeners[0].socket.getsockname()[1]}"
        task_status.started()
        await trio.serve_listeners(self._connection, listeners)

    async def _connection(self, stream: trio.SocketStream) -> None:
        self.connections += 1
        buf = b""
        try:
            while True:
                data = await stream.receive_some(65536)
                if not data:
                    return
                buf += data
                while (request := _one_request(buf)) is not None:
                    buf = buf[len(request) :]
                    self.requests.append(request)
                    answer = self.reply(len(self.requests))
                    if answer is None:
                        return
                    if answer == "hang":
                        await trio.sleep_forever()
                    await stream.send_all(answer)
                    if b"Connection: close" in answer or answer.startswith(b"HTTP/1.0"):
                        return
        except trio.BrokenResourceError:
            pass
        finally:
            await stream.aclose()


def _one_request(buf: bytes) -> bytes | None:
    """The first whole request in `buf` (a head, then Content-Length bytes), if it has arrived."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    length = 0
    for line in buf[:end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    total = end + 4 + length
    return buf[:total] if len(buf) >= total else None


async def _both(reply, send):
    """Run `send(client, base_url)` once with httpx and once with the plain client, each against
    a fresh server answering with `reply`; returns ((outcome, server), (outcome, server))."""
    results = []
    async with httpx.AsyncClient(timeout=30.0) as hx:
        plain = PlainHTTPClient(hx.headers)

        async def through_httpx(method, url, **kw):
            return await hx.request(method, url, **kw)

        async def through_plain(method, url, **kw):
            return await plain.request(method, plain.takes(url), **kw)

        for client in (through_httpx, through_plain):
            async with trio.open_nursery() as nursery:
                server = Scripted(reply)
                await nursery.start(server.serve)
                try:
                    outcome = await send(client, server.url)
                except httpx.HTTPError as exc:
                    outcome = (type(exc), str(exc))
                results.append((outcome, server))
                nursery.cancel_scope.cancel()
        await plain.aclose()
    return results


def _answer(response: httpx.Response):
    return (response.status_code, response.text, sorted(response.headers.multi_items()))


REQUESTS = [
    ("POST", "/a", {"content": b'{"x":1}', "headers": {"Content-Type": "application/json"}}),
    ("POST", "/a?q=1%202&r=%C3%A9", {"content": "text é"}),
    ("POST", "/empty", {}),
    ("PUT", "/put", {"content": b"x" * 70000}),
    ("GET", "/get?x=1", {}),
    ("POST", "/auth", {"content": b"a", "auth": ("user", "pässword")}),
    ("POST", "/ua", {"content": b"a", "headers": {"User-Agent": "mine", "X-Extra": "1"}}),
]


@pytest.mark.parametrize(("method", "path", "kw"), REQUESTS)
async def test_the_request_bytes_are_httpx_s(method, path, kw):
    async def send(client, base):
        return _answer(await client(method, base + path, **kw))

    (hx, hx_server), (plain, plain_server) = await _both(lambda n: OK, send)
    assert plain == hx == (200, "ok", [("content-length", "2")])
    assert len(plain_server.requests) == 1
    assert plain_server.seen() == hx_server.seen()


def test_a_default_port_is_left_out_of_the_host_header():
    plain = PlainHTTPClient(httpx.Headers())
    head, _ = plain._head("POST", httpx.URL("http://example.com:80/x"), b"", None, None)
    assert head[0] == (b"Host", b"example.com")


RESPONSES = {
    "body": b"HTTP/1.1 201 Created\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello",
    "chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
    "gzip": b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s"
    % (len(gzip.compress(b"zipped")), gzip.compress(b"zipped")),
    "error": b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nboom",
    "no content": b"HTTP/1.1 204 No Content\r\n\r\n",
    "close": b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nc",
    "until close": b"HTTP/1.0 200 OK\r\n\r\nread to the end",
}


@pytest.mark.parametrize("name", sorted(RESPONSES))
async def test_responses_read_as_httpx_reads_them(name):
    async def send(client, base):
        return _answer(await client("POST", base + "/r", content=b"x"))

    (hx, _), (plain, _) = await _both(lambda n: RESPONSES[name], send)
    assert plain == hx
    assert plain[0] in (200, 201, 204, 500)


FAILURES = {
    "closed before answering": lambda n: None,
    "closed mid-body": lambda n: (
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\nabc"
    ),
    "not HTTP": lambda n: b"SSH-2.0-OpenSSH\r\n\r\n",
    "bad header": lambda n: b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
}


@pytest.mark.parametrize("name", sorted(FAILURES))
async def test_failures_raise_httpx_s_exceptions_with_its_texts(name):
    async def send(client, base):
        return _answer(await client("POST", base + "/f", content=b"x"))

    (hx, _), (plain, _) = await _both(FAILURES[name], send)
    assert isinstance(hx[0], type) and issubclass(hx[0], httpx.HTTPError)
    assert plain == hx


async def test_a_refused_connection_raises_httpx_s_connect_error():
    async def send(client, base):
        return await client("POST", "http://127.0.0.1:9/refused", content=b"x")

    (hx, _), (plain, _) = await _both(lambda n: OK, send)
    assert hx[0] is httpx.ConnectError
    assert plain == hx


@pytest.fixture
def clock() -> MockClock:
    return MockClock(autojump_threshold=0.1)


async def test_a_hung_server_times_out_as_httpx_does(clock):
    async def send(client, base):
        start = trio.current_time()
        try:
            await client("POST", base + "/h", content=b"x", timeout=7.0)
        except httpx.HTTPError as exc:
            return type(exc), str(exc), round(trio.current_time() - start)

    (hx, _), (plain, _) = await _both(lambda n: "hang", send)
    assert hx == (httpx.ReadTimeout, "", 7)
    assert plain == hx


async def _plain_against(reply):
    server = Scripted(reply)
    return server, PlainHTTPClient(httpx.Headers())


async def test_one_connection_carries_many_requests():
    async with trio.open_nursery() as nursery:
        server, plain = await _plain_against(lambda n: OK)
        await nursery.start(server.serve)
        for _ in range(5):
            response = await plain.request("POST", plain.takes(server.url + "/k"), content=b"x")
            assert response.status_code == 200
        assert (server.connections, len(server.requests)) == (1, 5)
        await plain.aclose()
        nursery.cancel_scope.cancel()


async def test_a_connection_the_server_closed_is_not_reused():
    async with trio.open_nursery() as nursery:
        server, plain = await _plain_against(lambda n: OK if n % 2 else None)
        await nursery.start(server.serve)
        url = plain.takes(server.url + "/c")
        assert (await plain.request("POST", url, content=b"1")).status_code == 200
        with pytest.raises(httpx.RemoteProtocolError):
            await plain.request("POST", url, content=b"2")  # the server hangs up on this one
        await trio.testing.wait_all_tasks_blocked()
        assert (await plain.request("POST", url, content=b"3")).status_code == 200
        assert (server.connections, len(server.requests)) == (2, 3)
        await plain.aclose()
        nursery.cancel_scope.cancel()


async def test_an_idle_connection_closed_by_the_server_is_skipped():
    async with trio.open_nursery() as nursery:
        server, plain = await _plain_against(
            lambda n: b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
        )
        await nursery.start(server.serve)
        url = plain.takes(server.url + "/s")
        await plain.request("POST", url, content=b"1")
        nursery.cancel_scope.cancel()  # the server goes, closing the kept connection
    async with trio.open_nursery() as nursery:
        again = Scripted(lambda n: OK)
        listeners = await trio.open_tcp_listeners(url.port, host="127.0.0.1")
        nursery.start_soon(trio.serve_listeners, again._connection, listeners)
        response = await plain.request("POST", url, content=b"2")
        assert (response.status_code, again.connections) == (200, 1)
        await plain.aclose()
        nursery.cancel_scope.cancel()


async def test_idle_connections_expire_by_trio_s_clock(clock):
    async with trio.open_nursery() as nursery:
        server, plain = await _plain_against(lambda n: OK)
        await nursery.start(server.serve)
        url = plain.takes(server.url + "/e")
        await plain.request("POST", url, content=b"1")
        clock.jump(IDLE_EXPIRY_S - 1)
        await plain.request("POST", url, content=b"2")
        assert server.connections == 1
        clock.jump(IDLE_EXPIRY_S + 1)
        await plain.request("POST", url, content=b"3")
        assert server.connections == 2
        await plain.aclose()
        nursery.cancel_scope.cancel()


async def test_a_connection_close_answer_is_not_kept():
    async with trio.open_nursery() as nursery:
        server, plain = await _plain_against(lambda n: RESPONSES["close"])
        await nursery.start(server.serve)
        url = plain.takes(server.url + "/x")
        for _ in range(3):
            assert (await plain.request("POST", url, content=b"x")).text == "c"
        assert server.connections == 3
        await plain.aclose()
        nursery.cancel_scope.cancel()


async def test_concurrent_requests_use_separate_connections_then_share_them():
    async with trio.open_nursery() as nursery:
        gate = trio.Event()
        server = Scripted(lambda n: OK)
        await nursery.start(server.serve)
        plain = PlainHTTPClient(httpx.Headers())
        url = plain.takes(server.url + "/p")
        statuses = []

        async def one():
            await gate.wait()
            statuses.append((await plain.request("POST", url, content=b"x")).status_code)

        async with trio.open_nursery() as senders:
            for _ in range(3):
                senders.start_soon(one)
            gate.set()
        assert statuses == [200, 200, 200]
        assert server.connections == 3
        for _ in range(3):
            await plain.request("POST", url, content=b"y")
        assert server.connections == 3
        await plain.aclose()
        nursery.cancel_scope.cancel()


async def test_a_cancelled_request_drops_its_connection(clock):
    async with trio.open_nursery() as nursery:
        server = Scripted(lambda n: "hang" if n == 1 else OK)
        await nursery.start(server.serve)
        plain = PlainHTTPClient(httpx.Headers())
        url = plain.takes(server.url + "/z")
        with trio.move_on_after(1):
            await plain.request("POST", url, content=b"1")
        assert (await plain.request("POST", url, content=b"2")).status_code == 200
        assert server.connections == 2
        await plain.aclose()
        nursery.cancel_scope.cancel()


@pytest.mark.parametrize(
    ("url", "form"),
    [
        ("https://example.com/x", None),
        ("http://user:pw@example.com/x", None),
        ("http://example.com/x", {"a": "1"}),
        ("ftp://example.com/x", None),
        ("http:///nohost", None),
    ],
)
def test_what_httpx_keeps(url, form):
    assert PlainHTTPClient(httpx.Headers()).takes(url, form) is None


def test_a_proxy_in_the_environment_leaves_requests_to_httpx(monkeypatch):
    assert PlainHTTPClient(httpx.Headers()).takes("http://example.com/x") is not None
    monkeypatch.setenv("HTTP_PROXY", "http://proxy:3128")
    assert PlainHTTPClient(httpx.Headers()).takes("http://example.com/x") is None


async def test_handlers_send_plain_urls_in_one_write_and_fail_with_the_same_text():
    async with trio.open_nursery() as nursery, httpx.AsyncClient() as hx:
        server = Scripted(lambda n: OK)
        await nursery.start(server.serve)
        plain = PlainHTTPClient(hx.headers)
        sent = []
        request = plain.request

        async def counted(method, url, **kw):
            sent.append(str(url))
            return await request(method, url, **kw)

        plain.request = counted
        with_plain, without = (
            HandlerEnv(http_client=hx, plain_http=plain),
            HandlerEnv(http_client=hx),
        )
        await post(with_plain, server.url + "/h", json_body={"a": 1})
        await post(without, server.url + "/h", json_body={"a": 1})
        assert sent == [server.url + "/h"]
        assert server.seen()[0] == server.seen()[1]
        texts = []
        for env in (with_plain, without):
            with pytest.raises(HandlerFailed) as failed:
                await post(env, "http://127.0.0.1:9/refused", content=b"x")
            texts.append(str(failed.value))
        assert texts[0] == texts[1]
        assert texts[0].startswith("failed to POST to http://127.0.0.1:9/refused: ")
        await plain.aclose()
        nursery.cancel_scope.cancel()


async def test_connections_are_capped_and_a_full_pool_waits_then_times_out(clock):
    async with trio.open_nursery() as nursery:
        hung = Scripted(lambda n: "hang")
        await nursery.start(hung.serve)
        plain = PlainHTTPClient(httpx.Headers(), max_connections=2)
        url = plain.takes(hung.url + "/w")
        outcomes = []

        async def one():
            try:
                await plain.request("POST", url, content=b"x", timeout=10.0)
            except httpx.HTTPError as exc:
                outcomes.append((type(exc).__name__, str(exc), round(trio.current_time())))

        start = trio.current_time()
        async with trio.open_nursery() as senders:
            for _ in range(3):
                senders.start_soon(one)
        assert hung.connections == 2  # the third never connected
        assert sorted(outcomes) == sorted(
            [("ReadTimeout", "", round(start + 10))] * 2 + [("PoolTimeout", "", round(start + 10))]
        )
        nursery.cancel_scope.cancel()


async def test_a_full_pool_hands_a_slot_on_when_a_request_ends():
    async with trio.open_nursery() as nursery:
        server = Scripted(lambda n: RESPONSES["close"])
        await nursery.start(server.serve)
        plain = PlainHTTPClient(httpx.Headers(), max_connections=1)
        url = plain.takes(server.url + "/q")
        texts = []

        async def one():
            texts.append((await plain.request("POST", url, content=b"x")).text)

        async with trio.open_nursery() as senders:
            for _ in range(4):
                senders.start_soon(one)
        assert texts == ["c"] * 4 and server.connections == 4
        nursery.cancel_scope.cancel()


async def test_an_idle_connection_of_another_origin_makes_room():
    async with trio.open_nursery() as nursery:
        first, second = Scripted(lambda n: OK), Scripted(lambda n: OK)
        await nursery.start(first.serve)
        await nursery.start(second.serve)
        plain = PlainHTTPClient(httpx.Headers(), max_connections=1)
        for server in (first, second, first):
            response = await plain.request("POST", plain.takes(server.url + "/o"), content=b"x")
            assert response.status_code == 200
        assert (first.connections, second.connections) == (2, 1)
        await plain.aclose()
        nursery.cancel_scope.cancel()
