"""Talking to one UDF agent: a child process on stdin/stdout or a unix socket, and the protocol.

`open_session(fn, ...)` connects (starting the process, or dialling the socket) and runs the
session's reader and keepalives for the duration of the block. The first failure — an error
response, a missed keepalive, a crash, a broken stream — ends the block with `UDFError` carrying
Kapacitor's text for it.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import partial
from typing import Any

import trio

from kapacitrio.udf import udf_pb2 as pb
from kapacitrio.udf import wire
from kapacitrio.udf.config import FunctionConfig

#: How long a socket UDF is dialled (with backoff) before giving up, in seconds.
CONNECT_SECONDS = 10.0
#: How long a write failure waits for the reader to tell why the agent went away.
WHY_SECONDS = 2.0
#: How long an agent whose input was closed may take to finish and exit.
EXIT_SECONDS = 5.0

Log = Callable[[str, str], None]

#: Go's names of the signals a crashed process is reported with.
_SIGNALS = {
    signal.SIGKILL: "killed",
    signal.SIGTERM: "terminated",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGABRT: "aborted",
    signal.SIGINT: "interrupt",
    signal.SIGHUP: "hangup",
    signal.SIGPIPE: "broken pipe",
}


class UDFError(Exception):
    """The agent failed; the message is what the task's `error` shows."""


def go_time(ns: int) -> str:
    """A time as Go's `time.Time.String()` prints it in UTC."""
    dt = datetime.fromtimestamp(ns // 1_000_000_000, UTC)
    frac = ns % 1_000_000_000
    text = dt.strftime("%Y-%m-%d %H:%M:%S")
    if frac:
        text += "." + f"{frac:09d}".rstrip("0")
    return text + " +0000 UTC"


def exit_text(code: int) -> str:
    """A process's exit as Go's `exec.ExitError` prints it."""
    if code < 0:
        sig = -code
        try:
            name = _SIGNALS.get(signal.Signals(sig), signal.Signals(sig).name)
        except ValueError:
            name = f"signal {sig}"
        return f"signal: {name}"
    return f"exit status {code}"


# -- connections ---------------------------------------------------------------------------------


class Connection:
    """The two directions to an agent, and how to end it."""

    def __init__(self, send: trio.abc.SendStream, recv: trio.abc.ReceiveStream) -> None:
        self.send = send
        self.recv = recv

    async def close_write(self) -> None:
        """Tell the agent no more requests come (it may still answer)."""
        await self.send.aclose()

    async def lost(self) -> str:
        """Why the agent's output ended when nobody closed it."""
        return "read error: EOF"


class ProcessConnection(Connection):
    def __init__(self, proc: trio.Process) -> None:
        super().__init__(proc.stdin, proc.stdout)
        self.proc = proc

    async def lost(self) -> str:
        with trio.move_on_after(EXIT_SECONDS):
            code = await self.proc.wait()
            return f"process exited unexpectedly: {exit_text(code)}"
        return "process closed its output"


class SocketConnection(Connection):
    def __init__(self, stream: trio.SocketStream) -> None:
        super().__init__(stream, stream)
        self.stream = stream

    async def close_write(self) -> None:
        await self.stream.send_eof()


async def _kill(proc: trio.Process) -> None:
    proc.kill()


async def _log_lines(stream: trio.abc.ReceiveStream, log: Log) -> None:
    """Each line an agent writes on stderr goes to the log."""
    buf = b""
    while True:
        data = await stream.receive_some(65536)
        if not data:
            break
        buf += data
        *lines, buf = buf.split(b"\n")
        for line in lines:
            log("info", line.decode("utf-8", "replace").rstrip("\r"))
    if buf:
        log("info", buf.decode("utf-8", "replace"))


def _env(fn: FunctionConfig) -> dict[str, str]:
    env = dict(os.environ)
    env.update(dict(fn.env))
    return env


@asynccontextmanager
async def _process(fn: FunctionConfig, log: Log) -> AsyncIterator[Connection]:
    argv = [fn.prog, *fn.args]
    failed = ""  # raised after the nursery: inside it, it would reach callers in an ExceptionGroup
    async with trio.open_nursery() as nursery:
        try:
            proc = await nursery.start(
                partial(
                    trio.run_process,
                    argv,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    env=_env(fn),
                    check=False,
                    deliver_cancel=_kill,
                )
            )
        except FileNotFoundError:
            failed = "no such file or directory"
        except PermissionError:
            failed = "permission denied"
        except OSError as exc:
            failed = str(exc.strerror or exc)
        if not failed:
            nursery.start_soon(_log_lines, proc.stderr, log)
            try:
                yield ProcessConnection(proc)
            finally:
                nursery.cancel_scope.cancel()
    if failed:
        raise UDFError(f"fork/exec {fn.prog}: {failed}")


async def _dial(path: str) -> trio.SocketStream:
    delay = 0.05
    deadline = trio.current_time() + CONNECT_SECONDS
    while True:
        try:
            return await trio.open_unix_socket(path)
        except OSError as exc:
            if trio.current_time() + delay > deadline:
                raise UDFError(f"dial unix {path}: {exc.strerror or exc}") from None
        await trio.sleep(delay)
        delay = min(delay * 2, 1.0)


@asynccontextmanager
async def _socket(fn: FunctionConfig) -> AsyncIterator[Connection]:
    stream = await _dial(fn.socket)
    try:
        yield SocketConnection(stream)
    finally:
        await trio.aclose_forcefully(stream)


def connect(fn: FunctionConfig, log: Log) -> Any:
    """A context manager giving a `Connection` to the agent of `fn`."""
    return _socket(fn) if fn.socket else _process(fn, log)


# -- the session ---------------------------------------------------------------------------------

DataHandler = Callable[[list[Any]], Awaitable[None]]


class Session:
    """The protocol over one connection: requests, their answers, data, keepalives."""

    def __init__(self, conn: Connection, timeout_ns: int, now: Callable[[], int], log: Log) -> None:
        self.conn = conn
        self.timeout = timeout_ns / 1e9
        self.now = now
        self.log = log
        self.on_data: DataHandler | None = None
        self.error = ""
        self.closing = False
        self.read_done = trio.Event()
        self._lock = trio.Lock()
        self._waiting: dict[str, trio.MemorySendChannel[Any]] = {}
        self._requests: dict[str, trio.Lock] = {}
        self._last = trio.current_time()
        self._last_wall = now()
        self._scope: trio.CancelScope | None = None

    # -- lifecycle
    async def run(self, scope: trio.CancelScope) -> None:
        """Read answers (and send keepalives) until the agent's output ends or a failure."""
        self._scope = scope
        try:
            async with trio.open_nursery() as nursery:
                if self.timeout > 0:
                    nursery.start_soon(self._keepalive)
                    nursery.start_soon(self._watchdog)
                try:
                    await self._read()
                except UDFError as exc:
                    self.fail(str(exc))
                nursery.cancel_scope.cancel()
        finally:
            self.read_done.set()

    def fail(self, message: str) -> None:
        """Record the first failure and end the session."""
        if not self.error:
            self.error = message
            self.log("error", message)
        if self._scope is not None:
            self._scope.cancel()

    async def close(self) -> None:
        """No more requests: close the agent's input and wait for its output to end."""
        self.closing = True
        try:
            async with self._lock:
                await self.conn.close_write()
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            pass
        with trio.move_on_after(EXIT_SECONDS):
            await self.read_done.wait()

    # -- writing
    async def send_bytes(self, data: bytes) -> None:
        """Write framed requests; a failed write ends the session with the reason."""
        try:
            async with self._lock:
                await self.conn.send.send_all(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
            with trio.move_on_after(WHY_SECONDS):  # the reader usually knows why (a crash)
                await self.read_done.wait()
            self.fail(self.error or f"write error: {_reason(exc)}")
            await trio.sleep_forever()  # cancelled by fail()

    async def send(self, req: Any) -> None:
        await self.send_bytes(wire.frame(req))

    async def request(self, req: Any, kind: str) -> Any:
        """Send a request and wait for its answer (the Response's `kind` part)."""
        lock = self._requests.setdefault(kind, trio.Lock())
        async with lock:
            send, recv = trio.open_memory_channel[Any](1)
            self._waiting[kind] = send
            try:
                await self.send(req)
                return await recv.receive()
            finally:
                self._waiting.pop(kind, None)

    async def info(self) -> Any:
        req = pb.Request()
        req.info.SetInParent()
        return await self.request(req, "info")

    async def init(self, req: Any) -> None:
        resp = await self.request(req, "init")
        if not resp.success:
            raise UDFError(f"failed to initialize processes {resp.error}")

    async def snapshot(self) -> bytes:
        req = pb.Request()
        req.snapshot.SetInParent()
        return bytes((await self.request(req, "snapshot")).snapshot)

    async def restore(self, data: bytes) -> None:
        req = pb.Request()
        req.restore.snapshot = data
        resp = await self.request(req, "restore")
        if not resp.success:
            raise UDFError(f"error restoring snapshot: {resp.error}")

    # -- reading
    async def _read(self) -> None:
        try:
            async for msgs in wire.messages(self.conn.recv):
                self._last = trio.current_time()
                self._last_wall = self.now()
                data = []
                for msg in msgs:
                    kind = msg.WhichOneof("message")
                    if kind in ("begin", "point", "end"):
                        data.append(msg)
                    elif kind == "error":
                        raise UDFError(msg.error.error)
                    elif kind != "keepalive":
                        self._answer(kind, getattr(msg, kind) if kind else None)
                if data and self.on_data is not None:
                    await self.on_data(data)
        except wire.WireError as exc:
            raise UDFError(f"read error: {exc}") from None
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
            if not self.closing:
                raise UDFError(f"read error: {_reason(exc)}") from None
            return
        if not self.closing:
            raise UDFError(await self.conn.lost())

    def _answer(self, kind: str | None, part: Any) -> None:
        waiter = self._waiting.get(kind or "")
        if waiter is None:
            self.log("error", f"received {kind or 'an empty response'} without requesting it")
            return
        try:
            waiter.send_nowait(part)
        except trio.WouldBlock:
            self.log("error", f"received {kind} without requesting it")

    # -- keepalives
    async def _keepalive(self) -> None:
        while True:
            await trio.sleep(self.timeout / 2)
            req = pb.Request()
            req.keepalive.time = self.now()
            await self.send(req)

    async def _watchdog(self) -> None:
        while True:
            deadline = self._last + self.timeout
            if trio.current_time() >= deadline:
                self.fail(
                    "keepalive timedout, last keepalive received was: " + go_time(self._last_wall)
                )
                return
            await trio.sleep_until(deadline)


def _reason(exc: BaseException) -> str:
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror.lower()
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc) or type(exc).__name__


@asynccontextmanager
async def open_session(
    fn: FunctionConfig, *, now: Callable[[], int], log: Log
) -> AsyncIterator[Session]:
    """A running session with the agent of `fn`; raises `UDFError` when the agent fails."""
    session: Session | None = None
    failed: UDFError | None = None
    async with connect(fn, log) as conn:
        session = Session(conn, fn.timeout, now, log)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(session.run, nursery.cancel_scope)
            try:
                yield session
            except UDFError as exc:  # raised by the block (e.g. a refused init)
                failed = exc
            nursery.cancel_scope.cancel()
    if session is not None and session.error:
        raise UDFError(session.error)
    if failed is not None:
        raise failed
