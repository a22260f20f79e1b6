"""httpPost against a local HTTP receiver: bodies, URL templates, headers, codeField, timeouts."""

import json
from types import SimpleNamespace

import pytest
import trio

from kapacitrio.engine.node import NodeError
from kapacitrio.models.point import Barrier, Batch, Point
from tests.nodes.helpers import FakeCtx, S, bt, node, pt, take
from tests.nodes.receiver import Receiver


async def until(cond, limit=400):
    for _ in range(limit):
        if cond():
            return
        await trio.sleep(0.01)
    raise AssertionError("condition not reached")


def post_node(url, ctx=None, **props):
    props.setdefault("headers", {})
    return node("httpPost", [url], ctx=ctx, url=url, **props)


async def test_posts_points_in_order_and_passes_them_on(nursery):
    rx = Receiver()
    await nursery.start(rx.serve)
    n = post_node(rx.url + "/in", headers={"X-Key": "k"})
    nursery.start_soon(n.run_background)
    p1 = pt(0, {"value": 97.1}, {"host": "A", "type": "idle"}, ("host",))
    p2 = pt(1, {"value": 92.6}, {"host": "A", "type": "idle"}, ("host",))
    n.point(p1, 0)
    n.point(p2, 0)
    assert take(n) == [p1, p2]
    await until(lambda: n.stats["posts"] == 2)
    assert [r.path for r in rx.requests] == ["/in", "/in"]
    assert rx.requests[0].headers["x-key"] == "k"
    assert rx.requests[0].headers["content-type"] == "application/json"
    assert json.loads(rx.requests[1].body) == {
        "series": [
            {
                "name": "cpu",
                "tags": {"host": "A", "type": "idle"},
                "columns": ["time", "value"],
                "values": [["1971-01-01T00:00:01Z", 92.6]],
            }
        ]
    }


async def test_batch_body_and_url_template(nursery):
    rx = Receiver()
    await nursery.start(rx.serve)
    n = post_node(rx.url + '/{{ .Name }}?cpu={{ index .Tags "cpu" }}')
    nursery.start_soon(n.run_background)
    b = bt(4, [(0, {"mean": 1.5}), (2, {"mean": 2.5})], {"cpu": "cpu0"}, ("cpu",))
    n.batch(b, 0)
    await until(lambda: len(rx.requests) == 1)
    assert rx.requests[0].path == "/cpu?cpu=cpu0"
    body = json.loads(rx.requests[0].body)
    assert body["series"][0]["values"] == [
        ["1971-01-01T00:00:00Z", 1.5],
        ["1971-01-01T00:00:02Z", 2.5],
    ]


async def test_code_field_waits_for_the_response(nursery):
    rx = Receiver(status=503)
    await nursery.start(rx.serve)
    ctx = FakeCtx()
    n = post_node(rx.url, ctx=ctx, codeField="code", captureResponse=True)
    flushed = []

    async def flusher():
        flushed.extend(take(n))

    n._flusher = flusher
    nursery.start_soon(n.run_background)
    n.point(pt(0, {"value": 1.0}), 0)
    n.barrier(Barrier("", pt(1, {}).time), 0)  # waits behind the point
    assert take(n) == []
    await until(lambda: len(flushed) == 2)
    assert isinstance(flushed[0], Point) and flushed[0].fields == {"value": 1.0, "code": 503}
    assert isinstance(flushed[1], Barrier)
    assert n.stats["post_errors"] == 1
    assert ctx.logs[0][2] == "POST returned non 2xx status code"
    assert ctx.logs[0][3] == {"code": "503", "error": "ok"}  # the captured body


async def test_timeout_and_unreachable_give_code_zero(nursery):
    rx = Receiver(delay=0.5)
    await nursery.start(rx.serve)
    ctx = FakeCtx()
    n = post_node(rx.url, ctx=ctx, timeout=S // 1000, codeField="code")
    flushed = []

    async def flusher():
        flushed.extend(take(n))

    n._flusher = flusher
    nursery.start_soon(n.run_background)
    n.batch(bt(1, [(0, {"v": 1})]), 0)
    await until(lambda: len(flushed) == 1)
    assert isinstance(flushed[0], Batch)
    assert flushed[0].points[0].fields["code"] == 0
    assert "failed to POST" in ctx.errors[0][1]


async def test_queued_posts_are_sent_when_the_input_ends():
    async with trio.open_nursery() as outer:
        rx = Receiver()
        await outer.start(rx.serve)
        n = post_node(rx.url)
        async with trio.open_nursery() as inner:
            inner.start_soon(n.run_background)
            await trio.sleep(0)
            for t in range(3):
                n.point(pt(t, {"v": t}), 0)
            await n.drain()  # the runner's hook once the task's input has ended
            inner.cancel_scope.cancel()
        assert len(rx.requests) == 3
        assert n.stats["post_errors"] == 0
        outer.cancel_scope.cancel()


def test_endpoint_from_config_with_row_template():
    services = SimpleNamespace(
        config={
            "httppost": [
                {
                    "endpoint": "ep",
                    "url": "http://h/x",
                    "headers": {"A": "b"},
                    "row_template": '{{ .Name }} {{ index .Tags "host" }}'
                    '{{ range .Values }} {{ index . "v" }}{{ end }}',
                }
            ]
        },
    )

    class Cfg(dict):
        def get(self, name):
            return self[name]

    services.config = Cfg(services.config)
    n = node("httpPost", [], ctx=FakeCtx(services=services), url="", endpoint="ep", headers={})
    assert n.url == "http://h/x" and n.headers["A"] == "b"
    n.point(pt(0, {"v": 1}, {"host": "h1"}), 0)
    assert n.queue[0].body == "cpu h1 1"
    with pytest.raises(NodeError, match="endpoint 'nope' does not exist"):
        node("httpPost", [], ctx=FakeCtx(services=services), url="", endpoint="nope", headers={})
