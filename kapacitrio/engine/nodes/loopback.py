"""kapacitorLoopback: write points back into this server's own stream."""

from __future__ import annotations

import trio

from kapacitrio.cluster.inputs import write_points
from kapacitrio.engine.node import NodeError, NodeRuntime, register
from kapacitrio.models.point import Batch, Point

#: Points waiting for the writer before new ones are dropped.
MAX_PENDING = 100_000


@register("kapacitorLoopback")
class LoopbackNode(NodeRuntime):
    """Each point is routed again to the tasks reading database/retentionPolicy."""

    extra_stats = {"points_written": 0, "write_errors": 0}

    def __init__(self, spec, ctx) -> None:
        super().__init__(spec, ctx)
        p = spec.props
        self.db: str = p.get("database", "")
        self.rp: str = p.get("retentionPolicy", "")
        self.measurement: str = p.get("measurement", "")
        self.tags: dict[str, str] = dict(p.get("tags") or {})
        self.pending: list[Point] = []
        self.wake = trio.Event()
        for dbrp in getattr(ctx, "dbrps", None) or []:
            db, rp = (dbrp["db"], dbrp["rp"]) if isinstance(dbrp, dict) else tuple(dbrp)
            if db == self.db and rp == self.rp:
                raise NodeError(f'loop detected on dbrp: "{db}"."{rp}"')

    def _add(self, name: str, tags: dict, fields: dict, time: int) -> None:
        if len(self.pending) >= MAX_PENDING:
            self.stats["write_errors"] += 1
            self.error("kapacitorLoopback: write queue full, point dropped")
            return
        if self.tags:
            tags = {**tags, **self.tags}
        self.pending.append(Point(self.measurement or name, tags, fields, time, self.db, self.rp))
        self.wake.set()

    def busy(self) -> bool:
        """Points taken in and not yet written back (a snapshot waits for them)."""
        return bool(self.pending)

    def point(self, p: Point, parent: int) -> None:
        self._add(p.name, p.tags, p.fields, p.time)

    def batch(self, b: Batch, parent: int) -> None:
        for bp in b.points:
            self._add(b.name, bp.tags or b.tags, bp.fields, bp.time)

    async def run_background(self) -> None:
        try:
            while True:
                await self.wake.wait()
                self.wake = trio.Event()
                await self._drain()
        finally:
            with trio.move_on_after(5) as scope:
                scope.shield = True
                await self._drain()

    async def _drain(self) -> None:
        if not self.pending:
            return
        points, self.pending = self.pending, []
        services = self.ctx.services
        if services is None or getattr(services, "taskmaster", None) is None:
            self.stats["write_errors"] += len(points)
            self.error("kapacitorLoopback: no task master to write to")
            return
        try:
            await write_points(services, self.db, self.rp, points)
        except Exception as exc:  # noqa: BLE001 - a failed write is counted and logged
            self.stats["write_errors"] += len(points)
            self.error(f"kapacitorLoopback: write failed: {exc}")
            return
        self.stats["points_written"] += len(points)
