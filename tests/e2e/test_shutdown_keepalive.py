"""The real process stops on SIGTERM at once with an idle keep-alive client, as InfluxDB's subscriber is."""

from __future__ import annotations

import socket
import time


def test_sigterm_with_an_idle_keepalive_writer_does_not_wait_the_shutdown_timeout(server_factory):
    srv = server_factory(env={"KAPACITOR_HTTP_SHUTDOWN_TIMEOUT": "30s"})
    conn = socket.create_connection(("127.0.0.1", srv.port))
    try:
        body = b"cpu v=1 1"
        conn.sendall(
            b"POST /write?db=d&rp=r HTTP/1.1\r\nHost: k\r\nContent-Length: %d\r\n\r\n%s"
            % (len(body), body)
        )
        conn.settimeout(10)
        assert b" 204 " in conn.recv(65536).split(b"\r\n")[0]
        start = time.monotonic()
        assert srv.stop(timeout=60) == 0
        took = time.monotonic() - start
        # Before the fix the process waited the whole 30 s shutdown timeout for this client.
        assert took < 15, f"SIGTERM took {took:.1f}s with an idle keep-alive client"
        print(f"stop took {took:.2f}s")
    finally:
        conn.close()
