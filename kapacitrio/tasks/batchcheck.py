"""Kapacitor's checks of a batch task's queries before it is started (enable, create, update).

A task whose query does not parse, has no (or a double, or a bad) schedule, names a cluster that
is not configured, or reads a database/retention policy outside the task's dbrps is refused with
Kapacitor's error instead of starting and failing at every tick.
"""

from __future__ import annotations

from typing import Any

from kapacitrio.engine.node import NodeError
from kapacitrio.engine.nodes.query import check_schedule, check_select
from kapacitrio.tasks.errors import Invalid


def check_batch_queries(pipeline: Any, dbrps: list[dict[str, str]], services: Any) -> None:
    """Raise `Invalid` with Kapacitor's text for the first bad query node of `pipeline`."""
    from kapacitrio.pipeline.build import walk

    allowed = {(d["db"], d["rp"]) for d in dbrps}
    for spec in walk(pipeline):
        if spec.kind not in ("query", "queryFlux"):
            continue
        props = spec.props
        select = None
        try:
            if spec.kind == "query":
                select = check_select(str(spec.args[0]) if spec.args else "")
            check_schedule(int(props.get("every") or 0), str(props.get("cron") or ""))
        except NodeError as exc:
            raise Invalid(str(exc)) from None
        for source in select.measurements if select is not None else ():
            if (source.db, source.rp) not in allowed:
                raise Invalid(
                    f'batch query is not allowed to request data from "{source.db}"."{source.rp}"'
                )
        _check_cluster(str(props.get("cluster") or ""), services)


def _check_cluster(cluster: str, services: Any) -> None:
    """A named cluster must be configured (the default one may come later, as in Kapacitor)."""
    registry = getattr(services, "influxdb", None)
    if not cluster or registry is None or not hasattr(registry, "get"):
        return
    if registry.get(cluster) is None:
        raise Invalid(f"failed to get InfluxDB client: no such InfluxDB config {cluster}")
