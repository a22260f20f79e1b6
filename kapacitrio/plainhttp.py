"""Plain-HTTP requests on kept-alive h11 connections, each request written in a single send.

Alert handlers post one small body per event. httpx crosses the event loop six or seven times
before that body is on the wire (pool, locks, a send for the head and another for the body), and a
loaded server runs a slice of other work at every crossing, so an alert waits behind several
slices. `PlainHTTPClient` sends the same request in one write and takes only `http://` URLs without
a proxy; everything else stays with httpx. It behaves as the httpx client it stands beside: the
same default headers, keep-alive pool limits, per-phase timeouts, and the same httpx exception
classes with the same texts, so callers catch and report failures exactly as before.
"""

from __future__ import annotations

import base64
import select
import urllib.request
from dataclasses import dataclass, field

import h11
import httpx
import trio

#: httpx's pool defaults: connections open at once, of them kept idle, and how long one idles.
MAX_CONNECTIONS = 100
MAX_IDLE = 20
IDLE_EXPIRY_S = 5.0
#: httpcore's cap on a response head (h11's own default is 16 KiB).
MAX_HEAD_BYTES = 100 * 1024
READ_SIZE = 64 * 1024
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


@dataclass
class _Connection:
    stream: trio.SocketStream
    state: h11.Connection = field(
        default_factory=lambda: h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD_BYTES)
    )
    idle_until: float = 0.0

    def usable(self, now: float) -> bool:
        """Idle and not expired, and the server has not closed it (an idle socket is unreadable)."""
        if now >= self.idle_until:
            return False
        poller = select.poll()
        poller.register(self.stream.socket.fileno(), select.POLLIN)
        return not poller.poll(0)


class PlainHTTPClient:
    """Requests to `http://` URLs; `takes` says which, `request` sends one (see the module doc).

    `defaults` are the headers every request carries unless it sets its own (pass the httpx
    client's `headers`). Idle connections expire by Trio's clock.
    """

    def __init__(self, defaults: httpx.Headers, max_connections: int = MAX_CONNECTIONS) -> None:
        self.defaults = httpx.Headers(defaults)
        self._idle: dict[tuple[str, int], list[_Connection]] = {}
        self._slots = trio.Semaphore(max_connections)  # one per open connection
        proxies = urllib.request.getproxies_environment()
        self._proxied = bool(proxies.get("http") or proxies.get("all"))

    def takes(self, url: str, form: object = None) -> httpx.URL | None:
        """The parsed URL when this client can send the request, else None (httpx sends it)."""
        if self._proxied or form:
            return None
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError):
            return None
        if parsed.scheme != "http" or parsed.userinfo or not parsed.raw_host:
            return None
        return parsed

    async def request(
        self,
        method: str,
        url: httpx.URL,
        *,
        content: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30.0,
        auth: tuple[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request and read its whole response; raises httpx's exceptions on failure."""
        request = httpx.Request(method, url)
        head, body = self._head(method, url, content, headers, auth)
        origin = (url.raw_host.decode("ascii"), url.port or 80)
        conn = self._checkout(origin) or await self._open(origin, timeout, request)
        try:
            wire = _frame(conn.state, method, url.raw_path, head, body, request)
            await _send(conn.stream, wire, timeout, request)
            response = await _receive(conn.state, conn.stream, timeout, request)
        except BaseException:
            self._drop(conn)
            raise
        self._checkin(origin, conn)
        return response

    async def aclose(self) -> None:
        """Close every idle connection."""
        for conns in list(self._idle.values()):
            while conns:
                self._drop(conns.pop())

    def _head(
        self,
        method: str,
        url: httpx.URL,
        content: bytes | str | None,
        headers: dict[str, str] | None,
        auth: tuple[str, str] | None,
    ) -> tuple[list[tuple[bytes, bytes]], bytes]:
        """The request's headers in httpx's order, and its body: Host and an empty body's length
        first, then the client's and the request's headers, a body's length, the credentials."""
        body = content.encode() if isinstance(content, str) else (content or b"")
        merged = httpx.Headers(self.defaults)
        merged.update(headers or {})
        if body:
            merged.setdefault("Content-Length", str(len(body)))
        auto = [] if "Host" in merged else [(b"Host", url.netloc)]
        if method in BODY_METHODS and not (
            "Content-Length" in merged or "Transfer-Encoding" in merged
        ):
            auto.append((b"Content-Length", b"0"))
        merged = httpx.Headers(auto + merged.raw)
        if auth is not None:
            userpass = b":".join(part.encode() for part in auth)
            merged["Authorization"] = "Basic " + base64.b64encode(userpass).decode()
        return merged.raw, body

    def _checkout(self, origin: tuple[str, int]) -> _Connection | None:
        """The most recently used idle connection to `origin` that is still good, if any."""
        conns = self._idle.get(origin)
        now = trio.current_time()
        while conns:
            conn = conns.pop()
            if conn.usable(now):
                return conn
            self._drop(conn)
        return None

    async def _open(
        self, origin: tuple[str, int], timeout: float, request: httpx.Request
    ) -> _Connection:
        """A new connection, once there is room for one (an idle one of another origin makes
        room by closing); waits at most `timeout` for room, as httpx's pool does."""
        try:
            self._slots.acquire_nowait()
        except trio.WouldBlock:
            if self._close_oldest_idle():
                self._slots.acquire_nowait()
            else:
                with trio.move_on_after(timeout) as waited:
                    await self._slots.acquire()
                if waited.cancelled_caught:
                    raise httpx.PoolTimeout("", request=request) from None
        try:  # the slot taken is given back when connecting fails
            return _Connection(await _open_stream(origin, timeout, request))
        except BaseException:
            self._slots.release()
            raise

    def _close_oldest_idle(self) -> bool:
        oldest = min(
            (conns for conns in self._idle.values() if conns),
            key=lambda conns: conns[0].idle_until,
            default=None,
        )
        if oldest is None:
            return False
        self._drop(oldest.pop(0))
        return True

    def _checkin(self, origin: tuple[str, int], conn: _Connection) -> None:
        """Keep `conn` for the next request when both sides allow it, else close it."""
        state = conn.state
        if (
            state.our_state is h11.DONE
            and state.their_state is h11.DONE
            and sum(map(len, self._idle.values())) < MAX_IDLE
        ):
            state.start_next_cycle()
            conn.idle_until = trio.current_time() + IDLE_EXPIRY_S
            self._idle.setdefault(origin, []).append(conn)
        else:
            self._drop(conn)

    def _drop(self, conn: _Connection) -> None:
        """Close a connection this client is done with and give back its slot."""
        conn.stream.socket.close()
        self._slots.release()


async def _open_stream(
    origin: tuple[str, int], timeout: float, request: httpx.Request
) -> trio.SocketStream:
    with trio.move_on_after(timeout):
        try:
            return await trio.open_tcp_stream(*origin)
        except OSError as exc:
            raise httpx.ConnectError(str(exc), request=request) from None
    raise httpx.ConnectTimeout("", request=request)


def _frame(
    state: h11.Connection,
    method: str,
    target: bytes,
    head: list[tuple[bytes, bytes]],
    body: bytes,
    request: httpx.Request,
) -> bytes:
    """The whole request as bytes, framed by the connection's own h11 state."""
    try:
        out = state.send(h11.Request(method=method, target=target, headers=head))
        if body:
            out += state.send(h11.Data(data=body))
        return out + state.send(h11.EndOfMessage())
    except h11.LocalProtocolError as exc:
        raise httpx.LocalProtocolError(str(exc), request=request) from None


async def _send(
    stream: trio.SocketStream, wire: bytes, timeout: float, request: httpx.Request
) -> None:
    with trio.move_on_after(timeout):
        try:
            await stream.send_all(wire)
            return
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
            raise httpx.WriteError(str(exc), request=request) from None
    raise httpx.WriteTimeout("", request=request)


async def _receive(
    state: h11.Connection, stream: trio.SocketStream, timeout: float, request: httpx.Request
) -> httpx.Response:
    """Read one whole response, each read under its own `timeout` as httpx does."""
    status, headers, chunks = 0, [], []
    while True:
        try:
            event = state.next_event()
        except h11.RemoteProtocolError as exc:
            raise httpx.RemoteProtocolError(str(exc), request=request) from None
        if event is h11.NEED_DATA:
            data = await _read(stream, timeout, request)
            if not data and state.their_state is h11.SEND_RESPONSE:
                raise httpx.RemoteProtocolError(
                    "Server disconnected without sending a response.", request=request
                )
            state.receive_data(data)
        elif isinstance(event, h11.Response):
            status, headers = event.status_code, [(k, v) for k, v in event.headers]
        elif isinstance(event, h11.Data):
            chunks.append(bytes(event.data))
        elif isinstance(event, h11.EndOfMessage):
            break
    response = httpx.Response(
        status, headers=headers, stream=httpx.ByteStream(b"".join(chunks)), request=request
    )
    response.read()  # decodes gzip or deflate as httpx would
    return response


async def _read(stream: trio.SocketStream, timeout: float, request: httpx.Request) -> bytes:
    with trio.move_on_after(timeout):
        try:
            return await stream.receive_some(READ_SIZE)
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
            raise httpx.ReadError(str(exc), request=request) from None
    raise httpx.ReadTimeout("", request=request)
