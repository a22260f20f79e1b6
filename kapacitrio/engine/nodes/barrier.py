"""barrier: emit per-group barriers after idle time or every period, on the task's clock."""

from __future__ import annotations

import trio

from kapacitrio.engine.node import NodeRuntime, register
from kapacitrio.models.point import Barrier, Batch, DeleteGroup, Point


class _GroupTimer:
    __slots__ = ("deadline", "last_barrier")

    def __init__(self, deadline: int) -> None:
        self.deadline = deadline
        self.last_barrier: int | None = None


@register("barrier")
class BarrierNode(NodeRuntime):
    """Idle mode: a group's timer restarts with each message; period mode: fixed ticks per group."""

    def __init__(self, spec, ctx) -> None:
        super().__init__(spec, ctx)
        p = spec.props
        self.idle = int(p.get("idle") or 0)
        self.period = int(p.get("period") or 0)
        self.delete = bool(p.get("delete", False))
        self.groups: dict[str, _GroupTimer] = {}
        self.barrier_time: dict[str, int] = {}
        self.wake = trio.Event()

    def cardinality(self) -> int:
        return len(self.groups)

    def _seen(self, group: str, time: int) -> bool:
        """Track a message of the group; False when it is older than the group's last barrier."""
        last = self.barrier_time.get(group)
        if last is not None and time < last:
            return False
        now = self.ctx.clock.now()
        g = self.groups.get(group)
        if g is None:
            g = self.groups[group] = _GroupTimer(now + (self.idle or self.period))
            self.wake.set()
        elif self.idle:
            g.deadline = now + self.idle
            if g.last_barrier is not None:
                g.last_barrier = None
                self.wake.set()
        return True

    def point(self, p: Point, parent: int) -> None:
        if self._seen(p.group, p.time):
            self.emit(p)

    def batch(self, b: Batch, parent: int) -> None:
        if self._seen(b.group, b.tmax):
            self.emit(b)

    def delete_group(self, d: DeleteGroup, parent: int) -> None:
        self.groups.pop(d.group, None)
        self.emit(d)

    def fire(self, now: int) -> None:
        """Emit the barriers (and deletes) of every group whose deadline has passed."""
        for group, g in list(self.groups.items()):
            if g.deadline > now or (self.idle and g.last_barrier is not None):
                continue
            self.emit(Barrier(group, now))
            self.barrier_time[group] = now
            if self.delete:
                self.emit(DeleteGroup(group))
                del self.groups[group]
            elif self.idle:
                # Idle: no further barrier until the group sees data again.
                g.deadline = now + self.idle
                g.last_barrier = now
            else:
                while g.deadline <= now:
                    g.deadline += self.period

    def _next_deadline(self) -> int | None:
        if self.idle:
            pending = [g.deadline for g in self.groups.values() if g.last_barrier is None]
        else:
            pending = [g.deadline for g in self.groups.values()]
        return min(pending) if pending else None

    async def run_background(self) -> None:
        clock = self.ctx.clock
        while True:
            deadline = self._next_deadline()
            self.wake = trio.Event()
            async with trio.open_nursery() as nursery:

                async def woken() -> None:
                    await self.wake.wait()
                    nursery.cancel_scope.cancel()

                async def timer(at: int | None = deadline) -> None:
                    if at is None:
                        await trio.sleep_forever()
                    await clock.sleep_until(at)
                    nursery.cancel_scope.cancel()

                nursery.start_soon(woken)
                nursery.start_soon(timer)
            self.fire(clock.now())
            if self.out:
                await self.flush()
