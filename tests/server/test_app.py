"""Unit tests of the app's plumbing (errors, headers, base paths) with Quart's in-process client."""

from __future__ import annotations

import io

import pytest
from quart import Blueprint

from kapacitrio import logs
from kapacitrio.api import app as app_module
from kapacitrio.api.app import KAPACITOR_VERSION, create_app
from kapacitrio.api.errors import ApiError, json_object
from kapacitrio.config import load
from kapacitrio.services import Services
from kapacitrio.storage.db import open_store

probe = Blueprint("probe", __name__)


class _ServiceError(Exception):
    http_status = 409


@probe.route("/boom")
async def boom():
    raise RuntimeError("kaput")


@probe.route("/teapot")
async def teapot():
    raise ApiError(418, "short and stout")


@probe.route("/conflict")
async def conflict():
    raise _ServiceError("taken")


@probe.route("/echo", methods=["POST"])
async def echo():
    from quart import request

    return await json_object(request)


@pytest.fixture
async def client(tmp_path, monkeypatch):
    import sys
    import types

    module = types.ModuleType("kapacitrio.api._probe")
    module.bp = probe
    monkeypatch.setitem(sys.modules, "kapacitrio.api._probe", module)
    monkeypatch.setattr(app_module, "BLUEPRINTS", ["misc", "_probe"])
    async with open_store(tmp_path / "k.db") as store:
        services = Services(config=load(None, env={}), store=store, logs=logs.HUB)
        yield create_app(services).test_client()


async def test_unexpected_errors_are_logged_json_500(client):
    stream = io.StringIO()
    logs.configure("info", stream=stream)
    try:
        r = await client.get("/kapacitor/v1/boom")
    finally:
        logs.configure("info")
    assert r.status_code == 500
    assert await r.get_json() == {"error": "internal error: RuntimeError: kaput"}
    assert r.headers["X-Kapacitor-Version"] == KAPACITOR_VERSION
    assert 'msg="unhandled error in request"' in stream.getvalue()


async def test_error_statuses_and_bodies(client):
    r = await client.get("/kapacitor/v1preview/teapot")
    assert (r.status_code, await r.get_json()) == (418, {"error": "short and stout"})
    r = await client.get("/kapacitor/v1/conflict")
    assert (r.status_code, await r.get_json()) == (409, {"error": "taken"})
    r = await client.get("/kapacitor/v1/nowhere")
    assert (r.status_code, await r.get_json()) == (404, {"error": "Not Found"})
    r = await client.post("/kapacitor/v1/echo", data=b"{")
    assert (r.status_code, await r.get_json()) == (400, {"error": "invalid JSON"})
    r = await client.post("/kapacitor/v1/echo", data=b'{"a": 1}')
    assert await r.get_json() == {"a": 1}
    r = await client.get("/kapacitor/v1/ping")
    assert r.status_code == 204 and r.headers["X-Kapacitor-Version"] == KAPACITOR_VERSION
    assert r.headers["Request-Id"]


async def test_cors_preflight_gets_no_cors_headers_for_unlisted_origins(client):
    r = await client.options("/kapacitor/v1/ping", headers={"Origin": "http://ui.example"})
    assert r.status_code == 204
    assert "Access-Control-Allow-Origin" not in r.headers
    r = await client.get("/kapacitor/v1/ping")
    assert "Access-Control-Allow-Origin" not in r.headers


async def test_cors_headers_only_for_allowed_origins(client):
    client.app.config["KAPACITRIO_SERVICES"].config.http.allowed_origins = ["http://ui.example"]
    r = await client.options("/kapacitor/v1/ping", headers={"Origin": "http://ui.example"})
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == "http://ui.example"
    assert "PATCH" in r.headers["Access-Control-Allow-Methods"]
    r = await client.options("/kapacitor/v1/ping", headers={"Origin": "http://evil.example"})
    assert "Access-Control-Allow-Origin" not in r.headers
