"""End-to-end: `[[udp]]` listeners feed the same write path as `/write`, counted in `/debug/vars`."""

from __future__ import annotations

import socket
import time

TASK = {
    "id": "udp_count",
    "type": "stream",
    "dbrps": [{"db": "udpdb", "rp": "udprp"}],
    "status": "enabled",
    "script": "stream|from().measurement('cpu')|window().period(10s).every(10s)"
    "|count('usage')|httpOut('count')",
}


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _udp_stats(server) -> dict:
    body = server.client.get("/kapacitor/v1/debug/vars").json()
    found = [s for s in body["kapacitor"].values() if s.get("name") == "udp"]
    assert len(found) == 1, found
    return found[0]


def _wait(fn, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def test_udp_datagrams_reach_tasks_and_bad_ones_are_counted(server_factory):
    port = free_udp_port()
    config = f"""
[[udp]]
  enabled = true
  bind-address = "127.0.0.1:{port}"
  database = "udpdb"
  retention-policy = "udprp"
  buffer = 100
"""
    server = server_factory(config=config)
    assert server.client.post("/kapacitor/v1/tasks", json=TASK).status_code == 200
    out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with out:
        out.sendto(
            b"cpu,host=a usage=1 1000000000\ncpu,host=a usage=2 2000000000\n", ("127.0.0.1", port)
        )
        out.sendto(b"cpu,host=a usage=\n", ("127.0.0.1", port))  # malformed: counted, logged
        out.sendto(b"cpu,host=a usage=3 3000000000", ("127.0.0.1", port))
        assert _wait(lambda: _udp_stats(server)["values"]["points_rx"] == 3)
        out.sendto(b"cpu,host=a usage=4 12000000000", ("127.0.0.1", port))  # closes the window
        stats = _udp_stats(server)

        def counted():
            r = server.client.get("/kapacitor/v1/tasks/udp_count/count").json()
            return r.get("series") and r

        result = _wait(counted)
    assert result["series"][0]["values"][0][1] == 3
    stats = _wait(lambda: (s := _udp_stats(server))["values"]["points_rx"] == 4 and s)
    assert stats["tags"]["bind"] == f"127.0.0.1:{port}"
    assert stats["values"]["points_parse_fail"] == 1
    assert stats["values"]["points_tx"] == 4
    logs = server.run_logs()
    assert "failed to parse points" in logs and "udpdb" in logs
    assert "started listening on UDP" in logs
    # The listener is stopped with the server, and comes back on the same port after a restart.
    server.restart()
    assert _udp_stats(server)["values"]["points_rx"] == 0


def test_a_udp_port_in_use_stops_the_start_naming_it(server_factory):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("127.0.0.1", 0))
        port = busy.getsockname()[1]
        config = f'[[udp]]\nenabled = true\nbind-address = "127.0.0.1:{port}"\ndatabase = "d"\n'
        server = server_factory(config=config, start=False)
        try:
            server.start(timeout=15)
        except RuntimeError as exc:
            message = str(exc)
        else:
            raise AssertionError("the server started on a busy UDP port")
    assert "exited with 1" in message
    assert f"[[udp]] cannot listen on 127.0.0.1:{port}" in message
