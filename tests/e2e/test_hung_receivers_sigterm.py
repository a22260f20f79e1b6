"""The real server with a receiver that never answers behind httpPost, the `post` handler and a
kkok route: a task stop is bounded and SIGTERM exits within the shutdown timeout."""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Iterator

import pytest

SHUTDOWN = 10.0


class HungReceiver:
    """Accepts connections (in a thread of the test) and never answers them."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.conns: list[socket.socket] = []
        self.sock.settimeout(0.1)  # so the accept loop sees `close`
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.conns.append(conn)

    def close(self) -> None:
        self._closed.set()
        self._thread.join(5)
        self.sock.close()
        for c in self.conns:
            c.close()


@pytest.fixture
def hung() -> Iterator[HungReceiver]:
    rx = HungReceiver()
    yield rx
    rx.close()


def _task(tid: str, script: str) -> dict:
    return {
        "id": tid,
        "type": "stream",
        "dbrps": [{"db": "db", "rp": "rp"}],
        "script": script,
        "status": "enabled",
    }


def _wait(cond, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def test_stop_and_sigterm_are_bounded_with_a_hung_receiver(server_factory, hung):
    config = "[kkok]\ninitial-interval = 1\nmax-interval = 1\n"
    srv = server_factory(env={"KAPACITOR_HTTP_SHUTDOWN_TIMEOUT": f"{SHUTDOWN:g}s"}, config=config)
    c, api = srv.client, "/kapacitor/v1"
    post = f"stream|from().measurement('m')|httpPost('{hung.url}/p')"
    alert = f"stream|from().measurement('m')|alert().crit(lambda: \"v\" > 0).post('{hung.url}/a')"
    for body in (_task("poster", post), _task("alerter", alert)):
        assert c.post(f"{api}/tasks", json=body).status_code == 200
    assert c.put("/routes/hook", json=[{"type": "slack", "url": hung.url}]).status_code == 200
    assert c.put("/filters/all", json={"type": "route", "routes": ["hook"]}).status_code == 200

    def load() -> None:
        lines = "\n".join(f"m v={i + 1}" for i in range(12))
        assert c.post("/write?db=db&rp=rp", content=lines).status_code == 204
        assert c.post("/alerts", json={"From": "mon", "Title": "t", "Host": "h"}).status_code == 200

    load()
    _wait(lambda: len(hung.conns) >= 3)  # httpPost, post handler and kkok are all stuck
    t0 = time.monotonic()
    assert c.patch(f"{api}/tasks/poster", json={"status": "disabled"}).status_code == 200
    stop = time.monotonic() - t0
    print(f"stopping a task with 12 requests queued behind a hung receiver: {stop:.2f} s")
    assert stop < 7.0
    assert c.patch(f"{api}/tasks/poster", json={"status": "enabled"}).status_code == 200
    load()
    time.sleep(1.5)
    t0 = time.monotonic()
    code = srv.stop(signal.SIGTERM, timeout=SHUTDOWN * 3)
    took = time.monotonic() - t0
    print(f"SIGTERM with receivers hanging: exited in {took:.2f} s")
    assert code == 0, srv.run_logs()
    assert took < SHUTDOWN, srv.run_logs()
    assert "kapacitrio stopped" in srv.run_logs()
