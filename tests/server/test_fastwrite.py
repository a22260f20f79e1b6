"""The `/write` fast lane answers plain writes exactly as the Quart route does, and no others."""

from __future__ import annotations

import gzip
import io

import pytest
import trio

from kapacitrio import logs
from kapacitrio.api import fastwrite, write
from kapacitrio.api.accesslog import KAPACITOR_VERSION
from kapacitrio.api.app import create_app
from kapacitrio.config import load
from kapacitrio.engine.clock import TrioClock
from kapacitrio.engine.taskmaster import open_taskmaster
from kapacitrio.services import Services
from kapacitrio.storage.db import open_store
from kapacitrio.tasks.service import TaskService

TASK = {
    "id": "t",
    "type": "stream",
    "dbrps": [{"db": "db", "rp": "rp"}],
    "script": "stream|from().measurement('cpu')|httpOut('x')",
    "status": "enabled",
}
#: A same-site Origin: harmless, but it sends the write through Quart (the guard's cross-site check).
SAME_SITE = {"Origin": "http://localhost"}
#: (query, body, extra headers) of writes good and bad.
WRITES = [
    ("db=db&rp=rp", b"cpu,host=a value=1 10", {}),
    ("db=db&rp=rp&precision=s", b"cpu value=2 20", {}),
    ("db=db", b"cpu value=3", {}),
    ("db=db&rp=rp", b"", {}),
    ("db=db&rp=rp", b"  \n", {}),
    ("", b"cpu value=1", {}),
    ("db=db&rp=rp", b"cpu,host=a_value=1", {}),
    ("db=db&rp=rp", b"cpu value=1\ncpu value=", {}),
    ("db=db&precision=q", b"cpu value=1", {}),
    ("db=db&db=other&rp=rp", b"cpu value=4 40", {}),
    ("db=db&rp=rp", gzip.compress(b"cpu value=5 50"), {"Content-Encoding": "gzip"}),
    ("db=db&rp=rp", gzip.compress(b"cpu value=5 50")[:-6], {"Content-Encoding": "gzip"}),
    ("db=db&rp=rp", b"not gzip", {"Content-Encoding": "GZIP"}),
    ("db=db&rp=%ff", b"cpu value=6", {}),
]


class Lanes:
    """Counts of the write bodies each path decoded (the lane's and the Quart route's)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.fast = self.quart = 0
        real = write.decode_body

        def fast_decode(*args):
            self.fast += 1
            return real(*args)

        def quart_decode(*args):
            self.quart += 1
            return real(*args)

        monkeypatch.setattr(fastwrite, "decode_body", fast_decode)
        monkeypatch.setattr(write, "decode_body", quart_decode)


@pytest.fixture
def lanes(monkeypatch):
    return Lanes(monkeypatch)


def _services(store, tm, env=None):
    services = Services(config=load(None, env=env or {}), store=store, logs=logs.HUB)
    services.taskmaster = tm
    services.tasks = TaskService(services)
    return services


@pytest.fixture
async def client(tmp_path):
    async with open_store(tmp_path / "k.db") as store, open_taskmaster(TrioClock(0)) as tm:
        services = _services(store, tm, {"KAPACITOR_HTTP_MAX_BODY_SIZE": "1000"})
        async with trio.open_nursery() as nursery:
            await nursery.start(services.tasks.run)
            c = create_app(services).test_client()
            r = await c.post("/kapacitor/v1/tasks", json=TASK)
            assert r.status_code == 200, await r.get_data()
            yield c
            nursery.cancel_scope.cancel()


async def _answer(resp):
    headers = {k.lower() for k in resp.headers.keys()} - {"content-length"}
    return resp.status_code, await resp.get_data(), headers


@pytest.mark.parametrize("path", sorted(fastwrite.WRITE_PATHS))
async def test_the_lane_answers_every_write_as_the_route_does(client, lanes, path):
    for query, body, headers in WRITES:
        fast = await client.post(f"{path}?{query}", data=body, headers=headers)
        slow = await client.post(f"{path}?{query}", data=body, headers={**headers, **SAME_SITE})
        assert await _answer(fast) == await _answer(slow), (query, body)
        assert fast.headers["X-Kapacitor-Version"] == KAPACITOR_VERSION
        assert fast.headers["Request-Id"] != slow.headers["Request-Id"]
    assert lanes.fast == lanes.quart == len(WRITES)


async def test_written_points_reach_the_task(client, lanes):
    r = await client.post("/write?db=db&rp=rp&precision=s", data=b"cpu,host=a value=7 70")
    assert r.status_code == 204 and lanes.fast == 1
    with trio.fail_after(5):
        while True:
            out = await (await client.get("/kapacitor/v1/tasks/t/x")).get_json()
            if out.get("series"):
                break
            await trio.sleep(0.01)
    assert out["series"][0]["values"] == [["1970-01-01T00:01:10Z", 7]]


async def test_errors_are_kapacitors_json(client, lanes):
    r = await client.post("/write?db=db", data=b"cpu,host=a_value=1")
    assert r.status_code == 400 and lanes.fast == 1
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"
    assert await r.get_data() == (
        b'{\n    "error": "unable to parse \'cpu,host=a_value=1\': missing fields"\n}'
    )


async def test_a_given_request_id_is_echoed(client, lanes):
    r = await client.post("/write?db=db", data=b"cpu value=1", headers={"Request-Id": "abc-1"})
    assert (r.status_code, r.headers["Request-Id"], lanes.fast) == (204, "abc-1", 1)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://ui.example"},
        {"X-HTTP-Method-Override": "POST"},
        {"Expect": "100-continue"},
    ],
)
async def test_writes_that_are_not_plain_go_to_the_route(client, lanes, headers):
    r = await client.post("/kapacitor/v1/write?db=db", data=b"cpu value=1", headers=headers)
    assert r.status_code == 204
    assert (lanes.fast, lanes.quart) == (0, 1)


async def test_other_paths_and_methods_go_to_the_app(client, lanes):
    r = await client.post("/kapacitor/v1/write/?db=db", data=b"cpu value=1")
    assert r.status_code == 204 and (lanes.fast, lanes.quart) == (0, 1)
    r = await client.get("/write?db=db")
    assert r.status_code == 405
    r = await client.post("/kapacitor/v2/write?db=db", data=b"cpu value=1")
    assert r.status_code == 404 and lanes.fast == 0


async def test_a_body_past_the_limit_is_refused_by_the_route(client, lanes):
    big = b"cpu value=1 " + b"0" * 1000
    r = await client.post("/write?db=db", data=big, headers={"Content-Length": str(len(big))})
    assert r.status_code == 413 and (lanes.fast, lanes.quart) == (0, 0)  # refused by Quart
    assert await r.get_json() == {"error": "request body too large"}
    r = await client.post("/write?db=db", data=big)  # no length: refused while arriving
    assert r.status_code == 413 and r.headers["Connection"] == "close"
    assert await r.get_json() == {"error": "request body too large"}
    big = gzip.compress(b"cpu value=1\n" * 200)
    r = await client.post("/write?db=db", data=big, headers={"Content-Encoding": "gzip"})
    assert r.status_code == 413 and lanes.fast == 1  # inflated past the limit in the lane
    assert await r.get_json() == {"error": "request body too large"}


async def test_with_authentication_on_writes_go_through_the_guard(tmp_path, lanes):
    env = {"KAPACITOR_HTTP_AUTH_ENABLED": "true"}
    async with open_store(tmp_path / "k.db") as store, open_taskmaster(TrioClock(0)) as tm:
        client = create_app(_services(store, tm, env)).test_client()
        r = await client.post("/write?db=db", data=b"cpu value=1")
    assert r.status_code == 503 and (lanes.fast, lanes.quart) == (0, 0)
    assert "auth service is not running" in (await r.get_json())["error"]


async def test_the_access_log_line_matches_the_routes(client, lanes):
    stream = io.StringIO()
    logs.configure("info", stream=stream)
    try:
        await client.post("/write?db=db&rp=rp", data=b"cpu value=1", headers={"User-Agent": "t/1"})
        await client.post(
            "/write?db=db&rp=rp", data=b"cpu value=1", headers={"User-Agent": "t/1", **SAME_SITE}
        )
    finally:
        logs.configure("info")
    fast, slow = [line for line in stream.getvalue().splitlines() if "http request" in line]
    assert lanes.fast == lanes.quart == 1

    def fields(line):
        parts = dict(p.split("=", 1) for p in line.split(" ") if "=" in p)
        return {k: v for k, v in parts.items() if k not in ("ts", "request-id", "duration")}

    assert fields(fast) == fields(slow)
    assert 'uri="/write?db=db&rp=rp"' in fast and "status=204" in fast
    assert "user-agent=t/1" in fast and "duration=" in fast


def _scope(path="/write", query=b"db=db"):
    return {
        "type": "http",
        "method": "POST",
        "path": path,
        "query_string": query,
        "headers": [(b"content-length", b"11")],
        "http_version": "1.1",
    }


async def _direct(app, receive):
    sent = []

    async def send(message):
        sent.append(message)

    await app(_scope(), receive, send)
    return sent


async def test_a_client_gone_before_its_body_gets_no_answer(tmp_path):
    async with open_store(tmp_path / "k.db") as store, open_taskmaster(TrioClock(0)) as tm:
        app = fastwrite.lane(_unused_app, _services(store, tm))

        async def receive():
            return {"type": "http.disconnect"}

        assert await _direct(app, receive) == []


async def test_a_body_that_never_arrives_times_out_with_408(tmp_path, autojump_clock):
    async with open_store(tmp_path / "k.db") as store, open_taskmaster(TrioClock(0)) as tm:
        app = fastwrite.lane(_unused_app, _services(store, tm))

        async def receive():
            await trio.sleep_forever()

        start = trio.current_time()
        start_msg, body_msg = await _direct(app, receive)
    assert trio.current_time() - start == pytest.approx(fastwrite.BODY_TIMEOUT_S)
    assert start_msg["status"] == 408 and (b"connection", b"close") in start_msg["headers"]
    assert b"didn't finish the request" in body_msg["body"]


async def _unused_app(scope, receive, send):
    raise AssertionError("a plain write reached the app")
