"""The UDF service (plugin): the configured functions, their Info asked at start, and snapshots.

At start every `[udf.functions.NAME]` agent is asked for its Info, as Kapacitor does (a process is
started and stopped again, a socket is dialled), so scripts can be checked against the options it
declares; a function that cannot answer stops the start. `services.extra["udfs"]` is this service.
Snapshots of UDF nodes are kept in the store (kind `udf_snapshots`, one per task node).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

import trio

from kapacitrio import logs
from kapacitrio.pipeline.udf import UDFInfo
from kapacitrio.udf import convert
from kapacitrio.udf.agent import UDFError, open_session
from kapacitrio.udf.config import FunctionConfig, UDFSection  # noqa: F401  (registers [udf])

SNAPSHOTS = "udf_snapshots"
#: How long an agent without a keepalive timeout may take to answer the Info request (seconds).
INFO_SECONDS = 30.0

_log = logs.get_logger("udf")


class UDFService:
    """The configured UDFs: their declared info, sessions to their agents, their snapshots."""

    def __init__(self, services: Any, functions: dict[str, FunctionConfig]) -> None:
        self.services = services
        self.functions = functions
        self._infos: dict[str, UDFInfo] = {}

    def infos(self) -> dict[str, UDFInfo]:
        """What each function declared: `{name: UDFInfo}` (the compiler's `udfs=`)."""
        return dict(self._infos)

    def describe(self) -> dict[str, Any]:
        """Each function's kind and declared edges and options (for the API and `/debug/vars`)."""
        out = {}
        for name, fn in sorted(self.functions.items()):
            info = self._infos.get(name)
            out[name] = {
                "type": "socket" if fn.socket else "process",
                "wants": info.wants if info else "",
                "provides": info.provides if info else "",
                "options": {k: list(v) for k, v in info.options.items()} if info else {},
            }
        return out

    async def load_infos(self) -> None:
        """Ask every function for its Info; raises `OSError` naming the (first) one that failed.

        The agents are asked all at once: starting many interpreters one after the other made
        the server's start take as long as all their start-ups together.
        """
        errors: dict[str, str] = {}

        async def load(name: str, fn: FunctionConfig) -> None:
            try:
                self._infos[name] = await self.fetch_info(fn)
            except UDFError as exc:
                errors[name] = str(exc)
                return
            _log.info("loaded UDF info", udf=name)

        async with trio.open_nursery() as nursery:
            for name, fn in self.functions.items():
                nursery.start_soon(load, name, fn)
        for name in self.functions:
            if name in errors:
                raise OSError(f'failed to load process info for "{name}": {errors[name]}')

    async def fetch_info(self, fn: FunctionConfig) -> UDFInfo:
        """Start or dial one agent, ask for its Info and close it again."""
        log = _agent_log(fn.name, "")
        limit = fn.timeout / 1e9 if fn.timeout else INFO_SECONDS
        with trio.move_on_after(limit * 2) as scope:
            async with open_session(fn, now=_wall_ns, log=log) as session:
                resp = await session.info()
                await session.close()
                return convert.info(resp)
        if scope.cancelled_caught:
            raise UDFError("timed out waiting for the info response")
        raise UDFError("no info response")

    def session(self, name: str, *, now: Callable[[], int], log: Any) -> Any:
        """A session with a new agent of function `name` (see `agent.open_session`)."""
        fn = self.functions.get(name)
        if fn is None:
            raise UDFError(f"no UDF named {name!r} is configured")
        return open_session(fn, now=now, log=log)

    # -- snapshots
    async def load_snapshot(self, task_id: str, node: str) -> bytes | None:
        doc = await self.services.store.get(SNAPSHOTS, f"{task_id}/{node}")
        if not doc:
            return None
        return base64.b64decode(doc["snapshot"])

    async def save_snapshot(self, task_id: str, node: str, data: bytes) -> None:
        doc = {"task": task_id, "node": node, "snapshot": base64.b64encode(data).decode()}
        await self.services.store.put(SNAPSHOTS, f"{task_id}/{node}", doc)

    async def forget_task(self, task_id: str) -> None:
        """Delete the snapshots of a deleted task."""
        for doc in await self.services.store.list(SNAPSHOTS, match={"task": task_id}):
            await self.services.store.delete(SNAPSHOTS, f"{task_id}/{doc['node']}")


def _wall_ns() -> int:
    return time.time_ns()  # only the keepalive requests' debugging field


def _agent_log(udf: str, task: str) -> Callable[[str, str], None]:
    def log(level: str, message: str) -> None:
        getattr(_log, "error" if level == "error" else "info")(message, udf=udf, task=task)

    return log


def service(services: Any) -> UDFService | None:
    """The running UDF service, if any."""
    return (getattr(services, "extra", None) or {}).get("udfs")


async def start(services: Any, nursery: trio.Nursery) -> None:
    """Plugin entry: read `[udf]`, ask each function for its Info, publish the service."""
    section = services.config.get("udf")
    svc = UDFService(services, section.parsed())
    await svc.load_infos()
    services.extra["udfs"] = svc
