"""barrier: per-group barriers after idle time (in data time) or every period (task clock)."""

from __future__ import annotations

from typing import Any

import trio

from kapacitrio.engine import snapcodec as codec
from kapacitrio.engine.node import NodeRuntime, register
from kapacitrio.models.point import Barrier, Batch, DeleteGroup, Point


class _Group:
    """One group's timer (task clock) and its data-time marks."""

    __slots__ = ("deadline", "last_point", "last_barrier")

    def __init__(self, deadline: int, last_point: int) -> None:
        self.deadline = deadline
        self.last_point = last_point
        self.last_barrier: int | None = None

    def admits(self, t: int) -> bool:
        return self.last_barrier is None or t >= self.last_barrier


@register("barrier")
class BarrierNode(NodeRuntime):
    """Idle: after `idle` of task-clock time without messages the group gets a barrier at its last
    data time + idle (again every idle while quiet). Period: a barrier at the clock's now every
    period. Messages older than a group's last barrier are dropped; `.delete()` also emits a
    DeleteGroup and forgets the group."""

    def __init__(self, spec, ctx) -> None:
        super().__init__(spec, ctx)
        p = spec.props
        self.idle = int(p.get("idle") or 0)
        self.period = int(p.get("period") or 0)
        self.delete = bool(p.get("delete", False))
        self.groups: dict[str, _Group] = {}
        self.wake = trio.Event()

    group_table = "groups"

    def cardinality(self) -> int:
        return len(self.groups)

    # -- state handover: each group's timer (task clock) and data-time marks
    def snapshot(self) -> Any:
        return {gid: [g.deadline, g.last_point, g.last_barrier] for gid, g in self.groups.items()}

    def restore(self, data: Any) -> None:
        groups = {}
        for gid, (deadline, last_point, last_barrier) in codec.mapping(data).items():
            g = groups[gid] = _Group(codec.integer(deadline), codec.integer(last_point))
            g.last_barrier = codec.opt_integer(last_barrier)
        self.groups.update(groups)
        self.wake.set()

    def _group(self, group: str) -> _Group:
        g = self.groups.get(group)
        if g is None:
            now = self.ctx.clock.now()
            g = self.groups[group] = _Group(now + (self.idle or self.period), now)
            self.wake.set()
        return g

    def _touch(self, g: _Group, t: int) -> None:
        """A message at data time t arrived: restart the idle timer."""
        if self.idle:
            g.deadline = self.ctx.clock.now() + self.idle
            g.last_point = t

    def point(self, p: Point, parent: int) -> None:
        g = self._group(p.group)
        if g.admits(p.time):
            self._touch(g, p.time)
            self.emit(p)

    def batch(self, b: Batch, parent: int) -> None:
        g = self._group(b.group)
        points = [bp for bp in b.points if g.admits(bp.time)]
        for bp in points:
            self._touch(g, bp.time)
        self.emit(b if len(points) == len(b.points) else b.copy_with(points=points))

    def barrier(self, b: Barrier, parent: int) -> None:
        if b.group is None:
            self.emit(b)
            return
        g = self._group(b.group)
        if g.admits(b.time):
            self._touch(g, b.time)
            if self.idle:
                g.last_barrier = b.time
            self.emit(b)

    def delete_group(self, d: DeleteGroup, parent: int) -> None:
        self.groups.pop(d.group, None)
        self.emit(d)

    def fire(self, now: int) -> None:
        """Emit the barriers (and deletes) of every group whose timer has run out."""
        for group, g in list(self.groups.items()):
            if g.deadline > now:
                continue
            if self.idle:
                t = g.last_point + self.idle
                g.last_point = t
                g.deadline = now + self.idle
            else:
                t = now
                while g.deadline <= now:
                    g.deadline += self.period
            g.last_barrier = t
            self.emit(Barrier(group, t))
            if self.delete:
                del self.groups[group]
                self.emit(DeleteGroup(group))

    async def run_background(self) -> None:
        clock = self.ctx.clock
        while True:
            deadline = min((g.deadline for g in self.groups.values()), default=None)
            self.wake = trio.Event()
            async with trio.open_nursery() as nursery:

                async def woken() -> None:
                    await self.wake.wait()
                    nursery.cancel_scope.cancel()

                async def timer(at: int | None = deadline) -> None:
                    if at is None:
                        await trio.sleep_forever()
                    else:
                        await clock.sleep_until(at)
                    nursery.cancel_scope.cancel()

                nursery.start_soon(woken)
                nursery.start_soon(timer)
            self.fire(clock.now())
            if self.out:
                await self.flush()
