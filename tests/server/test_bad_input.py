"""Bad input never gives a 500: every task/template/write endpoint answers 4xx JSON (in process)."""

from __future__ import annotations

import json

import pytest
import trio

from kapacitrio import logs
from kapacitrio.api.app import create_app
from kapacitrio.config import load
from kapacitrio.engine.clock import TrioClock
from kapacitrio.engine.taskmaster import open_taskmaster
from kapacitrio.services import Services
from kapacitrio.storage.db import open_store
from kapacitrio.tasks.service import TaskService

GOOD = {
    "id": "t",
    "type": "stream",
    "dbrps": [{"db": "db", "rp": "rp"}],
    "script": "stream|from().measurement('cpu')|httpOut('x')",
}
WEIRD_VALUES = [None, 5, -1.5, True, "", "x" * 300, [], [1], {}, {"a": 1}, ["a", {"b": None}]]
FIELDS = ["id", "type", "dbrps", "script", "status", "vars", "template-id"]
BODIES = [
    b"",
    b"null",
    b"[]",
    b'"text"',
    b"5",
    b"{",
    b"\xff\xfe",
    b'{"id": "\\ud800"}',
    b'{"id": "nan", "vars": {"x": {"type": "float", "value": NaN}}}',
    b"[" * 100_000,
]


@pytest.fixture
async def client(tmp_path):
    async with open_store(tmp_path / "k.db") as store, open_taskmaster(TrioClock(0)) as tm:
        services = Services(config=load(None, env={}), store=store, logs=logs.HUB)
        services.taskmaster = tm
        services.tasks = TaskService(services)
        async with trio.open_nursery() as nursery:
            await nursery.start(services.tasks.run)
            yield create_app(services).test_client()
            nursery.cancel_scope.cancel()


async def _check(resp) -> None:
    assert resp.status_code < 500, (resp.status_code, await resp.get_data())
    if resp.status_code >= 400:
        body = await resp.get_json()
        assert isinstance(body["error"], str) and body["error"]


async def test_weird_task_and_template_bodies(client):
    assert (await client.post("/kapacitor/v1/tasks", json=GOOD)).status_code == 200
    tmpl = {"id": "tm", "type": "stream", "script": GOOD["script"]}
    assert (await client.post("/kapacitor/v1/templates", json=tmpl)).status_code == 200
    for field in FIELDS:
        for value in WEIRD_VALUES:
            body = {**GOOD, "id": "n", field: value}
            await _check(await client.post("/kapacitor/v1/tasks", json=body))
            await client.delete("/kapacitor/v1/tasks/n")
            await _check(await client.patch("/kapacitor/v1/tasks/t", json={field: value}))
            await _check(
                await client.post("/kapacitor/v1/templates", json={**tmpl, "id": "m", field: value})
            )
            await client.delete("/kapacitor/v1/templates/m")
            await _check(await client.patch("/kapacitor/v1/templates/tm", json={field: value}))
    for raw in BODIES:
        for method, path in [
            ("POST", "/kapacitor/v1/tasks"),
            ("PATCH", "/kapacitor/v1/tasks/t"),
            ("POST", "/kapacitor/v1/templates"),
            ("PATCH", "/kapacitor/v1/templates/tm"),
            ("POST", "/kapacitor/v1/write?db=db&rp=rp"),
        ]:
            await _check(await client.open(path, method=method, data=raw))
    # the good task survived all of it and still runs
    task = await (await client.get("/kapacitor/v1/tasks/t")).get_json()
    assert task["executing"] in (True, False)


async def test_weird_query_parameters(client):
    assert (await client.post("/kapacitor/v1/tasks", json=GOOD)).status_code == 200
    for query in [
        "limit=-5",
        "limit=1e3",
        "offset=-1",
        "offset=99999999999999999999",
        "pattern=[",
        "pattern=%00",
        "fields=",
        "fields=id&fields=id",
        "script-format=",
        "dot-view=",
    ]:
        await _check(await client.get(f"/kapacitor/v1/tasks?{query}"))
        await _check(await client.get(f"/kapacitor/v1/templates?{query}"))
    for query in ["precision=xx", "db=&rp=", "db=a%00b"]:
        await _check(await client.post(f"/kapacitor/v1/write?{query}", data=b"cpu value=1"))
    await _check(await client.get("/kapacitor/v1/tasks/%00"))
    await _check(await client.get("/kapacitor/v1/tasks/t/%2e%2e"))


async def test_nan_is_not_json(client):
    body = {**GOOD, "vars": {"x": {"type": "float", "value": 1.0}}}
    raw = json.dumps(body).replace("1.0", "NaN").encode()
    r = await client.post("/kapacitor/v1/tasks", data=raw)
    assert (r.status_code, await r.get_json()) == (400, {"error": "invalid JSON"})
