"""End-to-end: WebSocket feeds of alert events (current events first, then changes as they happen)."""

from __future__ import annotations

import json

import httpx
import trio
from trio_websocket import open_websocket_url

SCRIPT = """
stream
    |from().measurement('cpu').groupBy('host')
    |alert()
        .crit(lambda: "value" > 90)
        .topic('{topic}')
"""


async def define(c: httpx.AsyncClient, task_id: str, topic: str) -> None:
    r = await c.post(
        "/kapacitor/v1/tasks",
        json={
            "id": task_id,
            "type": "stream",
            "dbrps": [{"db": "db", "rp": "rp"}],
            "script": SCRIPT.format(topic=topic),
            "status": "enabled",
        },
    )
    assert r.status_code == 200, r.text


async def write(c: httpx.AsyncClient, body: str) -> None:
    r = await c.post("/write", params={"db": "db", "rp": "rp", "precision": "s"}, content=body)
    assert r.status_code == 204, r.text


async def test_topic_feed_streams_current_then_new_events(server):
    ws_base = server.preview.replace("http://", "ws://")
    async with httpx.AsyncClient(base_url=server.url) as c:
        await define(c, "feed_a", "a")
        await define(c, "feed_b", "b")
        await write(c, "cpu,host=x value=95 1\n")
        with trio.fail_after(10):
            while (await c.get("/kapacitor/v1/alerts/topics/a")).status_code != 200:
                await trio.sleep(0.02)
        async with (
            open_websocket_url(f"{ws_base}/alerts/topics/a/feed") as ws_a,
            open_websocket_url(f"{ws_base}/alerts/topics/feed") as ws_all,
        ):
            with trio.fail_after(10):
                first = json.loads(await ws_a.get_message())
            assert first["topic"] == "a"
            assert first["id"] == "cpu:host=x"
            assert first["state"]["level"] == "CRITICAL"
            with trio.fail_after(10):
                current = [json.loads(await ws_all.get_message()) for _ in range(2)]
            assert sorted(m["topic"] for m in current) == ["a", "b"]

            await write(c, "cpu,host=x value=10 2\n")
            with trio.fail_after(10):
                changes = [json.loads(await ws_a.get_message())]
                all_changes = [json.loads(await ws_all.get_message()) for _ in range(2)]
            assert changes[0]["state"]["level"] == "OK"
            assert changes[0]["previousLevel"] == "CRITICAL"
            assert changes[0]["state"]["duration"] == "1s"
            assert sorted((m["topic"], m["state"]["level"]) for m in all_changes) == [
                ("a", "OK"),
                ("b", "OK"),
            ]


async def test_feed_of_unknown_topic_waits_and_disconnect_is_clean(server):
    ws_base = server.preview.replace("http://", "ws://")
    async with httpx.AsyncClient(base_url=server.url) as c:
        await define(c, "feed_c", "later")
        async with open_websocket_url(f"{ws_base}/alerts/topics/later/feed") as ws:
            await write(c, "cpu,host=y value=99 1\n")
            with trio.fail_after(10):
                msg = json.loads(await ws.get_message())
            assert (msg["topic"], msg["id"], msg["state"]["level"]) == (
                "later",
                "cpu:host=y",
                "CRITICAL",
            )
        # the server keeps serving after the client left
        await write(c, "cpu,host=y value=1 2\n")
        r = await c.get("/kapacitor/v1/alerts/topics/later/events/cpu:host=y")
        with trio.fail_after(10):
            while r.json()["state"]["level"] != "OK":
                await trio.sleep(0.02)
                r = await c.get("/kapacitor/v1/alerts/topics/later/events/cpu:host=y")
