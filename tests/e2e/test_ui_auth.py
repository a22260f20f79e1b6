"""With auth on: the UI's static files load without credentials, its data and feeds do not."""

from __future__ import annotations

import base64

import jwt
import pytest
import trio
from trio_websocket import ConnectionRejected, open_websocket, open_websocket_url

from tests.e2e.secureenv import ADMIN, SECRET, SECURE_ENV


async def _rejected(url: str, **kw) -> int:
    with pytest.raises(ConnectionRejected) as info:
        async with open_websocket_url(url, **kw):
            pass
    return info.value.status_code


async def test_ui_files_open_data_and_feed_guarded(server_factory):
    srv = server_factory(env=SECURE_ENV)
    c = srv.client
    assert c.get("/").status_code == 200
    assert c.get("/ui/js/api.js").status_code == 200
    assert c.post("/ui/js/api.js").status_code in (401, 405)
    assert c.get("/kapacitor/v1/tasks").status_code == 401
    feed = srv.preview.replace("http://", "ws://") + "/alerts/topics/feed"
    assert await _rejected(feed) == 401
    assert await _rejected(feed + "?u=admin&p=wrong") == 401
    assert await _rejected(feed + "?token=not.a.jwt") == 401
    c.post(
        "/kapacitor/v1/users",
        auth=ADMIN,
        json={"name": "w", "password": "w-pw", "type": "normal", "permissions": ["none"]},
    ).raise_for_status()
    assert await _rejected(feed + "?u=w&p=w-pw") == 403
    token = jwt.encode({"username": "admin", "exp": 4102444800}, SECRET, algorithm="HS256")
    for url, headers in (
        (feed + "?u=admin&p=admin-pass", []),
        (feed + f"?token={token}", []),
        (feed, [("Authorization", "Basic " + base64.b64encode(b"admin:admin-pass").decode())]),
    ):
        with trio.fail_after(10):
            async with open_websocket_url(url, extra_headers=headers) as ws:
                await ws.send_message("hello")  # accepted: the feed is open
    other = [("Origin", "http://evil.example")]
    assert await _rejected(feed + "?u=admin&p=admin-pass", extra_headers=other) == 403
    with trio.fail_after(10):
        async with open_websocket(
            "127.0.0.1",
            srv.port,
            "/kapacitor/v1preview/alerts/topics/feed?u=admin&p=admin-pass",
            use_ssl=False,
            extra_headers=[("Origin", srv.url)],
        ):
            pass
