"""`/debug/pprof`: off by default (404); CPU profile, heap, task tree, one profile at a time."""

from __future__ import annotations

import json

import httpx
import pytest
import trio

from kapacitrio.config import load
from kapacitrio.server import run_server

PPROF = "/kapacitor/v1/debug/pprof"


async def _serve(nursery, tmp_path, enabled: bool) -> str:
    env = {
        "KAPACITOR_HTTP_BIND_ADDRESS": "127.0.0.1:0",
        "KAPACITOR_DATA_DIR": str(tmp_path / "data"),
        "KAPACITOR_HTTP_LOG_ENABLED": "false",
        "KAPACITOR_HTTP_PPROF_ENABLED": "true" if enabled else "false",
    }
    binds = await nursery.start(run_server, load(None, env=env), trio.Event())
    return binds[0]


async def test_off_by_default_every_route_is_404(tmp_path):
    assert load(None, env={}).http.pprof_enabled is False
    async with trio.open_nursery() as nursery:
        url = await _serve(nursery, tmp_path, enabled=False)
        async with httpx.AsyncClient(base_url=url) as c:
            for path in ("/", "/profile?seconds=1", "/heap", "/goroutine", "/cmdline"):
                r = await c.get(PPROF + path)
                assert r.status_code == 404, path
                assert r.json() == {"error": "Not Found"}
        nursery.cancel_scope.cancel()


@pytest.fixture
async def pprof(nursery, tmp_path):
    url = await _serve(nursery, tmp_path, enabled=True)
    async with httpx.AsyncClient(base_url=url + PPROF, timeout=30) as c:
        yield c


async def test_index_lists_the_profiles(pprof):
    r = await pprof.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    for name in ("profile", "heap", "goroutine"):
        assert f'href="{name}"' in r.text


async def test_cpu_profile_collapsed_and_one_at_a_time(pprof):
    results = {}

    async def first():
        results["first"] = await pprof.get("/profile", params={"seconds": 1})

    async with trio.open_nursery() as n:
        n.start_soon(first)
        await trio.sleep(0.3)
        results["second"] = await pprof.get("/profile", params={"seconds": 1})
    assert results["second"].status_code == 409
    r = results["first"]
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    lines = r.text.splitlines()
    total = 0
    for line in lines:
        stack, count = line.rsplit(" ", 1)
        total += int(count)
        assert ";" in stack or "(" in stack
    assert total >= 20  # ~200 samples a second; fewer on a loaded machine
    assert any("trio/_core/_run.py" in line for line in lines)  # the event loop's own stack


async def test_speedscope_json(pprof):
    r = await pprof.get("/profile", params={"seconds": 1, "format": "speedscope"})
    assert r.status_code == 200
    doc = r.json()
    assert doc["$schema"] == "https://www.speedscope.app/file-format-schema.json"
    (prof,) = doc["profiles"]
    assert prof["type"] == "sampled" and prof["unit"] == "seconds"
    assert len(prof["samples"]) == len(prof["weights"]) > 0
    frames = doc["shared"]["frames"]
    assert all(0 <= i < len(frames) for s in prof["samples"] for i in s)
    assert 0 < prof["endValue"] <= 2


@pytest.mark.parametrize(
    "params", [{"seconds": "0"}, {"seconds": "61"}, {"seconds": "x"}, {"format": "pprof"}]
)
async def test_bad_parameters_are_400(pprof, params):
    r = await pprof.get("/profile", params=params)
    assert r.status_code == 400
    assert "error" in r.json()


async def test_a_client_that_goes_away_ends_its_profile(pprof):
    with pytest.raises(httpx.ReadTimeout):
        await pprof.get("/profile", params={"seconds": 30}, timeout=0.5)
    with trio.fail_after(10):  # the sampler stopped with the request: the next one may run
        while (r := await pprof.get("/profile", params={"seconds": 1})).status_code == 409:
            await trio.sleep(0.1)
    assert r.status_code == 200


async def test_heap_top_sites(pprof):
    async def allocate():
        await pprof.get("/goroutine")

    async with trio.open_nursery() as n:
        n.start_soon(allocate)
        r = await pprof.get("/heap", params={"seconds": 1})
    assert r.status_code == 200
    head, columns, *sites = r.text.splitlines()
    assert head.startswith("heap profile: ") and "traced for 1 s" in head
    assert columns.split() == ["bytes", "blocks", "site"]
    assert sites and all(int(s.split()[0]) > 0 for s in sites)


async def test_goroutine_is_the_trio_task_tree(pprof):
    r = await pprof.get("/goroutine")
    assert r.status_code == 200
    text = r.text
    assert text.startswith("task ")  # the root task
    assert "task kapacitrio.server.run_server" in text
    assert "task kapacitrio.engine.taskmaster.TaskMaster.run" in text
    # children are indented under their parents, each with its stack
    assert "\n  task " in text and "sleep_forever" in text
    assert json.dumps(text)  # plain text


async def test_cmdline(pprof):
    r = await pprof.get("/cmdline")
    assert r.status_code == 200 and r.text
