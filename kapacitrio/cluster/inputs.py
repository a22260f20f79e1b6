"""Writes that enter a member other than over HTTP: UDP listeners and kapacitorLoopback.

With clustering off they go straight into this server's engine. With it on they go through the
cluster's ingest exactly like an HTTP `/write` (stored in JetStream per db/rp/measurement, then
read by whichever member runs each task), so a task on another member gets them too and a move
loses none that were stored.
"""

from __future__ import annotations

from typing import Any

from kapacitrio.influxdb.lineprotocol import EncodeError, encode
from kapacitrio.logs import get_logger

_log = get_logger("cluster")


def _cluster(services: Any) -> Any:
    extra = getattr(services, "extra", None) or {}
    return extra.get("cluster")


def _engine(services: Any) -> Any:
    tm = getattr(services, "taskmaster", None)
    if tm is None:
        raise RuntimeError("the engine is not running")
    return tm


async def write_body(services: Any, db: str, rp: str, precision: str, body: bytes) -> None:
    """Write a body of line protocol (raises `LineProtocolError` on a bad line)."""
    cluster = _cluster(services)
    if cluster is None:
        await _engine(services).write(db, rp, precision, body)
        return
    tally: dict[str, int] = {}
    await cluster.ingest.publish(db, rp, precision, body, tally)
    tm = getattr(services, "taskmaster", None)
    if tm is not None:  # received here, whichever member runs the tasks
        tm.count_ingress(db, rp, tally)


async def write_points(services: Any, db: str, rp: str, points: list[Any]) -> None:
    """Write already-built points (in a cluster: as line protocol, through the ingest)."""
    cluster = _cluster(services)
    if cluster is None:
        await _engine(services).write_points(db, rp, points)
        return
    lines = []
    for p in points:
        try:
            lines.append(encode(p.name, p.tags, p.fields, p.time))
        except EncodeError as exc:  # no field line protocol can carry: nothing to route either
            _log.debug("point not written to the cluster", measurement=p.name, err=str(exc))
    if lines:
        await write_body(services, db, rp, "n", "\n".join(lines).encode())
