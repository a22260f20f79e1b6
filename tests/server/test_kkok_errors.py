"""kkok API errors are text/plain whatever raised them, 500s included (in process)."""

from __future__ import annotations

import pytest

from kapacitrio import logs
from kapacitrio.api import kkok as kkok_api
from kapacitrio.api.app import create_app
from kapacitrio.config import load
from kapacitrio.services import Services
from kapacitrio.storage.db import open_store


@pytest.fixture
async def client(tmp_path):
    async with open_store(tmp_path / "k.db") as store:
        services = Services(config=load(None, env={}), store=store, logs=logs.HUB)
        yield create_app(services).test_client()


async def test_an_unexpected_error_in_a_kkok_endpoint_is_a_text_500(client, monkeypatch):
    def broken():
        raise RuntimeError("the router fell over")

    monkeypatch.setattr(kkok_api, "_router", broken)
    resp = await client.get("/filters")
    assert resp.status_code == 500
    assert resp.mimetype == "text/plain"
    assert "the router fell over" in (await resp.get_data(as_text=True))


async def test_kapacitor_errors_stay_json(client, monkeypatch):
    resp = await client.get("/kapacitor/v1/tasks/nope")
    assert resp.status_code in (404, 503)
    assert resp.mimetype == "application/json"
    assert (await resp.get_json())["error"]
