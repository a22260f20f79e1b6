"""Request body limits over real connections: prompt 413s, clean keep-alive, the kkok API too."""

from __future__ import annotations

import json
import socket
import time

import httpx

from kapacitrio.testing.ports import free_port


def _request(path: str, body_len: int, extra: str = "") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {body_len}\r\n{extra}\r\n"
    ).encode()


def _read_response(sock: socket.socket) -> tuple[str, dict[str, str], bytes]:
    """One response (status line, lower-cased headers, body) read from a raw socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk
        rest += chunk
    return lines[0], headers, rest[:length]


def test_oversized_body_is_refused_before_it_is_sent(server_factory):
    srv = server_factory(env={"KAPACITOR_HTTP_MAX_BODY_SIZE": "100"})
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
        # only the headers: the answer must not wait for a body that is too large anyway
        sock.sendall(_request("/write?db=db&rp=rp", 5000))
        status, headers, body = _read_response(sock)
    assert status.split()[1] == "413"
    assert json.loads(body) == {"error": "request body too large"}
    # the unread body makes the connection unusable: the server says so
    assert headers["connection"] == "close"


def test_keep_alive_survives_an_early_answer_to_a_late_body(server_factory):
    srv = server_factory()
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
        payload = b'{"a": 1}'
        sock.sendall(_request("/kapacitor/v1/no-such-thing", len(payload)))
        time.sleep(0.2)  # the body arrives in a later packet, after routing already failed
        sock.sendall(payload)
        status, headers, _ = _read_response(sock)
        assert status.split()[1] == "404"
        assert headers.get("connection") != "close"
        # the same connection answers the next request
        sock.sendall(b"GET /kapacitor/v1/ping HTTP/1.1\r\nHost: x\r\n\r\n")
        status, _, _ = _read_response(sock)
        assert status.split()[1] == "204"


def test_repeated_oversized_writes_on_one_client_never_hang(server_factory):
    srv = server_factory(env={"KAPACITOR_HTTP_MAX_BODY_SIZE": "100"})
    with httpx.Client(base_url=srv.url, timeout=10) as client:
        for _ in range(15):
            r = client.post("/write", params={"db": "db", "rp": "rp"}, content=b"x" * 500)
            assert r.status_code == 413
            r = client.post("/write", params={"db": "db", "rp": "rp"}, content=b"cpu value=1\n")
            assert r.status_code == 204


def _alert(size: int) -> bytes:
    doc = {"From": "test", "Title": "t", "Message": ""}
    doc["Message"] = "m" * (size - len(json.dumps(doc)))
    body = json.dumps(doc).encode()
    assert len(body) == size
    return body


def test_kkok_alerts_respect_the_body_limit(server_factory):
    kkok_port = free_port()
    srv = server_factory(
        env={
            "KAPACITOR_HTTP_MAX_BODY_SIZE": "1000",
            "KAPACITOR_KKOK_BIND_ADDRESS": f"127.0.0.1:{kkok_port}",
        }
    )
    headers = {"Content-Type": "application/json"}
    for base in (srv.url, f"http://127.0.0.1:{kkok_port}"):
        with httpx.Client(base_url=base, timeout=10) as client:
            r = client.post("/alerts", content=_alert(2000), headers=headers)
            assert r.status_code == 413, (base, r.text)
            assert r.text == "request body too large"  # kkok answers errors in text/plain
            # no Content-Length: the limit holds for a chunked body too
            r = client.post("/alerts", content=iter([_alert(2000)]), headers=headers)
            assert r.status_code == 413, (base, r.text)
            r = client.post("/alerts", content=_alert(900), headers=headers)
            assert r.status_code == 200, (base, r.text)
