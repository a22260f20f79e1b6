"""Runs conformance case files in-process on a virtual clock (`kapacitrio test CASE.json`).

Stream cases write their `data` lines through the TaskMaster; batch cases feed their recorded
`batches` to the query nodes. Alert and httpPost traffic goes to in-process receivers on 127.0.0.1.
"""

from __future__ import annotations

import heapq
import json
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import trio
import trio.testing

from kapacitrio.casetest.compare import check_requests, diff_result
from kapacitrio.casetest.receivers import Receivers
from kapacitrio.engine.clock import VirtualClock
from kapacitrio.engine.task import Task
from kapacitrio.engine.taskmaster import TaskMaster, TaskStartError, feed_query, open_taskmaster
from kapacitrio.models.point import Batch, BatchPoint, Dimensions
from kapacitrio.models.timefmt import parse_rfc3339

#: Seconds to wait for expectations to hold (network deliveries), and to re-check a match.
POLL_TIMEOUT = 5.0
SETTLE = 0.05


@dataclass
class CaseOutcome:
    """The verdict on one case."""

    name: str
    passed: bool
    reason: str = ""


ServicesFactory = Callable[[trio.Nursery], Awaitable[Any]]


async def default_services(nursery: trio.Nursery) -> Any:
    """Services for a case: an alert service when the alerting package is available."""
    services = SimpleNamespace(alerts=None)
    try:
        from kapacitrio.alerting.service import AlertService
    except ImportError:
        return services
    svc = AlertService()
    await nursery.start(svc.run)
    services.alerts = svc
    return services


def load_cases(path: str) -> tuple[str, list[dict[str, Any]]]:
    """("cases", [case...]) for stream/batch files, ("tick", [...]) for a tick-corpus array."""
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if isinstance(doc, dict):
        return "cases", [doc]
    if doc and all(isinstance(c, dict) and c.get("kind") in ("stream", "batch") for c in doc):
        return "cases", doc
    return "tick", doc


async def run_case(
    case: dict[str, Any],
    services: ServicesFactory = default_services,
    timeout: float = POLL_TIMEOUT,
) -> CaseOutcome:
    """Run one stream or batch case and compare its outputs (waiting up to `timeout` s for them)."""
    name = str(case.get("name", "?"))
    try:
        with trio.fail_after(timeout + 60):
            if case.get("kind") == "batch":
                reason = await _run_batch(case, services, timeout)
            else:
                reason = await _run_stream(case, services, timeout)
    except trio.TooSlowError:
        reason = "error: the case did not finish in time"
    except Exception as exc:  # a crash is a failure of this case, not of the run
        reason = f"error: {type(exc).__name__}: {exc}"
    return CaseOutcome(name, not reason, reason or "")


def _compile(script: str, kind: str) -> Any:
    from kapacitrio.pipeline.build import compile_task

    return compile_task(script, kind)


def _dbrps(case: dict[str, Any]) -> list[tuple[str, str]]:
    return [(d["db"], d["rp"]) for d in case.get("dbrps") or []]


def _receiver_delay(case: dict[str, Any]) -> float:
    notes = str(case.get("notes") or "")
    return 0.1 if "sleeps 100" in notes else 0.0


class _Verdict(Exception):
    """A case's verdict reached before its expectations are checked (define or start failed)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def _run_in_nursery(
    body: Callable[..., Awaitable[str]],
    case: dict[str, Any],
    services: ServicesFactory,
    timeout: float,
) -> str:
    """Run one case body in its own nursery, cancelling its helpers once it has its verdict."""
    async with trio.open_nursery() as nursery:
        try:
            return await body(case, services, nursery, timeout)
        except _Verdict as verdict:
            return verdict.reason
        finally:
            nursery.cancel_scope.cancel()


@asynccontextmanager
async def _started_task(
    case: dict[str, Any],
    services: ServicesFactory,
    nursery: trio.Nursery,
    clock: VirtualClock,
    kind: str,
    fill_script: Callable[[str, Receivers], str],
) -> AsyncIterator[tuple[TaskMaster, Task, Receivers]]:
    """Start the receivers, compile the case's script and start it as a task on `clock`.

    A script that does not compile or a task that does not start ends the case with a verdict:
    a failure, or a pass when the case expects exactly that start error.
    """
    receivers = await nursery.start(Receivers(_receiver_delay(case)).run)
    svc = await services(nursery)
    try:
        pipeline = _compile(fill_script(case["script"], receivers), kind)
    except Exception as exc:
        raise _Verdict(f"define: {exc}") from exc
    async with open_taskmaster(clock, svc) as tm:
        try:
            task = await tm.start_task(case["name"], pipeline, _dbrps(case))
        except TaskStartError as exc:
            verdict = _start_error_verdict(case, str(exc))
        else:
            verdict = _start_error_verdict(case, None)
            if verdict is None:
                yield tm, task, receivers
                return
    # raised outside the taskmaster's nursery, so it is not wrapped in an exception group
    raise _Verdict(verdict)


def _start_error_verdict(case: dict[str, Any], error: str | None) -> str | None:
    """The verdict on how the task started (`error` None: it started), or None to go on."""
    want = (case.get("expect") or {}).get("startError")
    if error is None:
        return None if want is None else f"startError: task started, expected {want!r}"
    if want is None:
        return f"start: {error}"
    return "" if error == want else f"startError: got {error!r} exp {want!r}"


# -- stream cases
async def _run_stream(case: dict[str, Any], services: ServicesFactory, timeout: float) -> str:
    return await _run_in_nursery(_stream_body, case, services, timeout)


def _fill_stream_script(script: str, receivers: Receivers, name: str) -> str:
    return script.replace("{{RECEIVER}}", f"{receivers.http_url}/{name}").replace(
        "{{RECEIVER_TCP}}", receivers.tcp_addr
    )


async def _stream_body(
    case: dict[str, Any], services: ServicesFactory, nursery: trio.Nursery, timeout: float
) -> str:
    name = case["name"]
    data = case.get("data") or []
    clock = VirtualClock(min((_line_time(d["line"]) for d in data), default=0))

    def fill(script: str, receivers: Receivers) -> str:
        return _fill_stream_script(script, receivers, name)

    async with _started_task(case, services, nursery, clock, "stream", fill) as (tm, task, rx):
        await _write_stream_data(tm, clock, data)
        reason = await _await_expectations(case, task, rx, f"/{name}", timeout)
        await tm.stop_task(name)
        return reason


def _line_time(line: str) -> int:
    last = line.rsplit(" ", 1)[-1]
    try:
        return int(last)
    except ValueError:
        return 0


async def _write_stream_data(
    tm: TaskMaster, clock: VirtualClock, data: list[dict[str, Any]]
) -> None:
    """Write consecutive lines of one dbrp in one body, moving the clock to their data time."""
    groups: list[tuple[tuple[str, str], list[str]]] = []
    for rec in data:
        key = (rec["db"], rec["rp"])
        if groups and groups[-1][0] == key:
            groups[-1][1].append(rec["line"])
        else:
            groups.append((key, [rec["line"]]))
    for (db, rp), lines in groups:
        clock.advance_to(max(_line_time(line) for line in lines))
        await tm.write(db, rp, "n", "\n".join(lines).encode())
        await trio.testing.wait_all_tasks_blocked()


# -- batch cases
async def _run_batch(case: dict[str, Any], services: ServicesFactory, timeout: float) -> str:
    return await _run_in_nursery(_batch_body, case, services, timeout)


def _fill_batch_script(script: str, receivers: Receivers) -> str:
    return script.replace("__POST_URL__", receivers.http_url)


async def _batch_body(
    case: dict[str, Any], services: ServicesFactory, nursery: trio.Nursery, timeout: float
) -> str:
    clock_spec = case.get("clock") or {}
    clock = VirtualClock(parse_rfc3339(clock_spec["start"]) if clock_spec.get("start") else 0)
    started = _started_task(case, services, nursery, clock, "batch", _fill_batch_script)
    async with started as (tm, task, receivers):
        await _feed_batches(task, clock, case.get("batches") or [])
        if clock_spec.get("advanceTo"):
            clock.advance_to(parse_rfc3339(clock_spec["advanceTo"]))
        await trio.testing.wait_all_tasks_blocked()
        await tm.stop_task(case["name"])
        return await _await_expectations(case, task, receivers, "", timeout)


def decode_batch(raw: dict[str, Any]) -> Batch:
    """A recorded batch from a case file (numbers become floats, as the recordings hold)."""
    tags = dict(raw.get("tags") or {})
    points = [
        BatchPoint(
            parse_rfc3339(p["time"]),
            {k: _as_float(v) for k, v in (p.get("fields") or {}).items()},
            dict(p.get("tags") or tags),
        )
        for p in raw.get("points") or []
    ]
    dims = Dimensions(bool(raw.get("byname")), tuple(sorted(tags)))
    return Batch(raw.get("name", ""), tags, parse_rfc3339(raw["tmax"]), points, "", dims)


def _as_float(v: Any) -> Any:
    if isinstance(v, int) and not isinstance(v, bool):
        return float(v)
    return v


async def _feed_batches(
    task: Task, clock: VirtualClock, sources: list[list[dict[str, Any]]]
) -> None:
    """Deliver each source's batches in recorded order, sources interleaved by data time.

    Before each delivery the clock moves (never back) to the batch's last point time.
    """
    lanes = []
    for i, batches in enumerate(sources):
        lane = []
        for raw in batches:
            b = decode_batch(raw)
            lane.append((b.points[-1].time if b.points else b.tmax, i, b))
        lanes.append(lane)
    for last, i, b in heapq.merge(*lanes, key=lambda item: (item[0], item[1])):
        clock.advance_to(last)
        await feed_query(task, i, [b])
        await trio.testing.wait_all_tasks_blocked()


# -- expectations
async def _await_expectations(
    case: dict[str, Any], task: Task, receivers: Receivers, prefix: str, timeout: float
) -> str:
    """Poll until the expectations hold (and still hold a moment later) or time runs out."""
    deadline = trio.current_time() + timeout
    reason = ""
    while True:
        await trio.testing.wait_all_tasks_blocked(cushion=0.01)
        reason = _evaluate(case, task, receivers, prefix)
        if not reason:
            await trio.sleep(SETTLE)
            await trio.testing.wait_all_tasks_blocked(cushion=0.01)
            reason = _evaluate(case, task, receivers, prefix)
            if not reason:
                return ""
        if trio.current_time() >= deadline:
            return reason
        await trio.sleep(0.05)


def _evaluate(case: dict[str, Any], task: Task, receivers: Receivers, prefix: str) -> str:
    expect = case.get("expect") or {}
    reasons = []
    if "httpOut" in expect:
        ho = expect["httpOut"]
        source = task.ctx.http_out.get(ho["endpoint"])
        if source is None:
            reasons.append(f"httpOut: no endpoint {ho['endpoint']!r}")
        else:
            d = diff_result(
                _json_roundtrip(source.result()),
                ho["result"],
                bool(ho.get("ignoreOrder")),
                "httpOut",
            )
            if d:
                reasons.append(d)
    if "alerts" in expect:
        d = _check_alerts(expect["alerts"], receivers, prefix)
        if d:
            reasons.append(f"alerts: {d}")
    if "httpPost" in expect:
        hp = expect["httpPost"]
        d = check_requests(receivers.recorder.http, hp, "", "result", bool(hp.get("ordered", True)))
        if d:
            reasons.append(f"httpPost: {d}")
    if task.error and not reasons:
        return ""
    if task.error:
        reasons.append(f"task error: {task.error}")
    return "; ".join(reasons)


def _check_alerts(exp: dict[str, Any], receivers: Receivers, prefix: str) -> str | None:
    rec = receivers.recorder
    ignore = tuple(exp.get("ignoreFields") or ())
    if exp.get("handler") == "tcp":
        from kapacitrio.casetest.receivers import Request

        items = [Request("TCP", "", {}, line) for line in rec.tcp_lines()]
    else:
        items = rec.http_under(prefix) if prefix else list(rec.http)
    return check_requests(
        items, exp, prefix, exp.get("body", "alert"), not exp.get("ignoreOrder"), ignore
    )


def _json_roundtrip(obj: Any) -> Any:
    """What a client would decode: the JSON the API serves for this result."""
    return json.loads(json.dumps(obj, default=_json_default))


def _json_default(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return str(v)


# -- files
async def run_file(
    path: str,
    services: ServicesFactory = default_services,
    name_filter: str = "",
    timeout: float = POLL_TIMEOUT,
) -> list[CaseOutcome]:
    """Run every case of a file whose name contains `name_filter`; tick-corpus arrays go to
    `kapacitrio.tick.corpus`."""
    kind, cases = load_cases(path)
    if kind == "tick":
        return run_tick_file(path, name_filter)
    return [
        await run_case(c, services, timeout) for c in cases if name_filter in str(c.get("name", ""))
    ]


def run_tick_file(path: str, name_filter: str = "") -> list[CaseOutcome]:
    """Delegate a language corpus file to the language package's runner."""
    try:
        from kapacitrio.tick import corpus
    except ImportError as exc:
        return [CaseOutcome(path, False, f"tick corpus runner unavailable: {exc}")]
    results = corpus.run_file(path, name_filter=name_filter)
    out = []
    for r in results:
        if isinstance(r, CaseOutcome):
            out.append(r)
        elif isinstance(r, tuple | list):
            out.append(CaseOutcome(str(r[0]), bool(r[1]), str(r[2]) if len(r) > 2 and r[2] else ""))
        else:
            out.append(
                CaseOutcome(
                    str(getattr(r, "name", "?")),
                    bool(getattr(r, "passed", False)),
                    str(getattr(r, "reason", "") or ""),
                )
            )
    return out
