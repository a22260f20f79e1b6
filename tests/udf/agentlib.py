"""A small UDF agent library for the tests: a handler object behind Kapacitor's protocol.

It is written for these tests (not Kapacitor's agent library) and speaks the wire format through
kapacitrio's generated messages, on stdin/stdout (`serve_stdio`) or a unix socket
(`serve_unix`, one thread per connection, like Kapacitor's socket agents).
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from typing import Any

from kapacitrio.udf import udf_pb2 as pb
from kapacitrio.udf.wire import Decoder, frame


class Handler:
    """Override what the agent needs; `self.agent.write(resp)` sends a response at any time."""

    wants = pb.STREAM
    provides = pb.STREAM
    options: dict[str, list[int]] = {}
    #: False: after its init the agent answers nothing at all (a hung agent).
    answers_after_init = True

    def __init__(self, agent: Agent) -> None:
        self.agent = agent

    def info(self) -> Any:
        resp = pb.Response()
        resp.info.wants = self.wants
        resp.info.provides = self.provides
        for name, types in self.options.items():
            resp.info.options[name].valueTypes.extend(types)
        return resp

    def init(self, req: Any) -> str:
        """Return an error text to refuse the options."""
        return ""

    def snapshot(self) -> bytes:
        return b""

    def restore(self, data: bytes) -> str:
        return ""

    def begin_batch(self, begin: Any) -> None:
        raise RuntimeError("batches are not supported")

    def point(self, point: Any) -> None:
        raise RuntimeError("points are not supported")

    def end_batch(self, end: Any) -> None:
        raise RuntimeError("batches are not supported")


class Agent:
    """One conversation: requests read from `read(n)`, responses written with `send(bytes)`."""

    def __init__(self, read: Any, send: Any, handler_cls: type[Handler]) -> None:
        self._read = read
        self._send = send
        self._lock = threading.Lock()
        self.handler = handler_cls(self)
        self._initialised = False

    def write(self, resp: Any) -> None:
        with self._lock:
            self._send(frame(resp))

    def run(self) -> None:
        dec = Decoder(pb.Request)
        while True:
            data = self._read(65536)
            if not data:
                return
            for req in dec.feed(data):
                try:
                    self._dispatch(req)
                except Exception as exc:  # an agent reports its failures as an ErrorResponse
                    resp = pb.Response()
                    resp.error.error = str(exc)
                    self.write(resp)
                    return

    def _dispatch(self, req: Any) -> None:
        h = self.handler
        kind = req.WhichOneof("message")
        if self._initialised and not h.answers_after_init:
            return
        resp = pb.Response()
        if kind == "info":
            self.write(h.info())
        elif kind == "init":
            err = h.init(req.init)
            resp.init.success = not err
            resp.init.error = err
            self.write(resp)
            self._initialised = True
        elif kind == "keepalive":
            resp.keepalive.time = req.keepalive.time
            self.write(resp)
        elif kind == "snapshot":
            resp.snapshot.snapshot = h.snapshot()
            self.write(resp)
        elif kind == "restore":
            err = h.restore(req.restore.snapshot)
            resp.restore.success = not err
            resp.restore.error = err
            self.write(resp)
        elif kind == "begin":
            h.begin_batch(req.begin)
        elif kind == "point":
            h.point(req.point)
        elif kind == "end":
            h.end_batch(req.end)


def serve_stdio(handler_cls: type[Handler]) -> None:
    def send(data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(1, view)
            view = view[n:]

    Agent(lambda n: os.read(0, n), send, handler_cls).run()


def serve_unix(path: str, handler_cls: type[Handler]) -> None:
    if os.path.exists(path):
        os.unlink(path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(16)
    print("listening", flush=True)

    def talk(conn: socket.socket) -> None:
        with conn:
            Agent(conn.recv, conn.sendall, handler_cls).run()

    while True:
        conn, _ = server.accept()
        threading.Thread(target=talk, args=(conn,), daemon=True).start()


def main(handlers: dict[str, type[Handler]]) -> None:
    """`agents.py NAME` on stdio, `agents.py NAME --socket PATH` as a socket server."""
    cls = handlers[sys.argv[1]]
    if len(sys.argv) > 3 and sys.argv[2] == "--socket":
        serve_unix(sys.argv[3], cls)
    else:
        serve_stdio(cls)
