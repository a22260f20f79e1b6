"""Run the conformance corpus's alert cases in-process: TaskMaster + AlertService + local receivers."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import trio

from kapacitrio.alerting.service import AlertService
from kapacitrio.engine.clock import VirtualClock
from kapacitrio.engine.taskmaster import open_taskmaster
from kapacitrio.models.point import Batch, BatchPoint
from kapacitrio.models.timefmt import parse_rfc3339
from kapacitrio.pipeline.build import compile_task
from tests.alerting.receiver import TCPReceiver
from tests.httpreceiver import HTTPReceiver

CORPUS = Path("/work/shared/conformance")


def alert_cases() -> list[Path]:
    return sorted(CORPUS.glob("stream/TestStream_Alert*.json")) + sorted(
        CORPUS.glob("batch/TestBatch_Alert*.json")
    )


def same(a: Any, b: Any) -> bool:
    """Compare JSON values as the corpus says: numbers with tolerance, empty equivalences."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        keys = set(a) | set(b)
        return all(same(a.get(k), b.get(k)) for k in keys)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def norm_result(r: Any) -> Any:
    if r is None:
        return {"series": []}
    r = dict(r)
    series = r.get("series") or []
    r["series"] = [{"tags": {}, **s} for s in series]
    return r


def check_alert(expected: dict[str, Any], got: dict[str, Any], ignore: list[str]) -> str | None:
    for key, value in expected.items():
        if key in ignore or (key == "data" and value is None):
            continue
        if key == "data":
            if not same(norm_result(value), norm_result(got.get("data"))):
                return f"data differs: {got.get('data')} != {value}"
        elif not same(value, got.get(key)):
            return f"{key} differs: {got.get(key)!r} != {value!r}"
    return None


async def run_case(path: Path) -> str | None:
    """Run one case; returns None when it passes, else the reason."""
    case = json.loads(path.read_text())
    async with trio.open_nursery() as nursery:
        http = await nursery.start(HTTPReceiver().serve)
        tcp = await nursery.start(TCPReceiver().serve)
        service = AlertService()
        await nursery.start(service.run)
        clock = VirtualClock(
            parse_rfc3339(case.get("clock", {}).get("start", "1971-01-01T00:00:00Z"))
        )
        services = SimpleNamespace(alerts=service)
        script = (
            case["script"]
            .replace("{{RECEIVER}}", f"{http.url}/{case['name']}")
            .replace("{{RECEIVER_TCP}}", tcp.address)
            .replace("__POST_URL__", http.url)
        )
        async with open_taskmaster(clock, services) as tm:
            pipeline = compile_task(script, case["kind"])
            dbrps = [(d["db"], d["rp"]) for d in case["dbrps"]]
            await tm.start_task(case["name"], pipeline, dbrps)
            if case["kind"] == "stream":
                for d in case["data"]:
                    await tm.write(d["db"], d["rp"], "n", d["line"])
            else:
                for i, batches in enumerate(case.get("batches", [])):
                    for b in batches:
                        batch = _batch(b)
                        clock.advance_to(batch.points[-1].time if batch.points else batch.tmax)
                        await tm.feed_batches(case["name"], i, [batch])
                clock.advance_to(parse_rfc3339(case["clock"]["advanceTo"]))
            ho = case["expect"].get("httpOut")
            got_out = None
            if ho:
                want = norm_result(ho["result"])
                with trio.move_on_after(2):
                    while True:
                        got_out = tm.http_out(case["name"], ho["endpoint"])
                        if same(want, norm_result(got_out)):
                            break
                        await trio.sleep(0.01)
            await tm.stop_task(case["name"])
        with trio.move_on_after(5):
            await service.wait_idle()
        expect = case["expect"]
        alerts = expect.get("alerts")
        reason = None
        if alerts:
            n = alerts["count"]
            if alerts.get("handler") == "tcp":
                with trio.move_on_after(2):
                    await tcp.wait_for(n)
                bodies = [json.loads(x) for x in tcp.lines]
            else:
                with trio.move_on_after(2):
                    await http.wait_for(n)
                bodies = [r.json() for r in http.requests]
            if len(bodies) != n:
                reason = f"expected {n} alerts, got {len(bodies)}"
            elif alerts.get("requests"):
                for i, (e, g) in enumerate(zip(alerts["requests"], bodies, strict=True)):
                    if e is None:
                        continue
                    r = check_alert(e, g, alerts.get("ignoreFields") or [])
                    if r:
                        reason = f"alert {i}: {r}"
                        break
        if reason is None and expect.get("httpOut"):
            want = norm_result(expect["httpOut"]["result"])
            if not same(want, norm_result(got_out)):
                reason = f"httpOut differs: {got_out} != {want}"
        nursery.cancel_scope.cancel()
    return reason


def _batch(b: dict[str, Any]) -> Batch:
    tags = b.get("tags") or {}
    points = [
        BatchPoint(parse_rfc3339(p["time"]), p.get("fields") or {}, p.get("tags") or tags)
        for p in b.get("points") or []
    ]
    group = ",".join(f"{k}={tags[k]}" for k in sorted(tags))
    from kapacitrio.models.point import Dimensions

    dims = Dimensions(bool(b.get("byname")), tuple(sorted(tags)))
    return Batch(b["name"], tags, parse_rfc3339(b["tmax"]), points, group=group, dimensions=dims)
