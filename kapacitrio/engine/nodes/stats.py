"""stats: a source that emits, every interval of the task clock, the observed node's counts per group."""

from __future__ import annotations

from typing import Any

from kapacitrio.engine import snapcodec as codec
from kapacitrio.engine.node import NodeRuntime, register
from kapacitrio.engine.nodes.join import _GO_EPOCH_OFFSET, round_time
from kapacitrio.models.point import NO_DIMENSIONS, Batch, DeleteGroup, Dimensions, Point


class GroupCounts:
    """Messages a node emitted per group, with each group's tags and dimensions."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.info: dict[str, tuple[dict[str, str], Dimensions]] = {}

    def count(self, msg: Any) -> None:
        t = type(msg)
        if t is Point:
            n, tags = 1, msg.dimensions.group_tags(msg.tags)
        elif t is Batch:
            n, tags = len(msg.points), msg.tags
        elif t is DeleteGroup:
            self.counts.pop(msg.group, None)
            self.info.pop(msg.group, None)
            return
        else:
            return
        group = msg.group
        if group not in self.info:
            self.info[group] = (tags, msg.dimensions)
            self.counts[group] = 0
        self.counts[group] += n

    def count_chunk(self, chunk: list[Any]) -> None:
        for msg in chunk:
            self.count(msg)

    def dump(self) -> list[Any]:
        return [
            [g, n, *self.info[g][:1], codec.dims(self.info[g][1])] for g, n in self.counts.items()
        ]

    def load(self, data: Any) -> None:
        rows = [
            (str(g), codec.integer(n), codec.tags_of(t), codec.dims_of(d)) for g, n, t, d in data
        ]
        for g, n, tags, dims in rows:
            self.counts[g] = n
            self.info[g] = (tags, dims)


def observe(rt: NodeRuntime) -> GroupCounts:
    """Count what `rt` emits per group (once per runtime; later observers share the counts)."""
    counts = getattr(rt, "_group_counts", None)
    if counts is None:
        counts = GroupCounts()
        rt._group_counts = counts  # type: ignore[attr-defined]
        rt.watch_output = counts.count_chunk
    return counts


@register("stats")
class StatsNode(NodeRuntime):
    """Emits `stats` points with field `emitted` per group of the observed node."""

    def __init__(self, spec, ctx) -> None:
        super().__init__(spec, ctx)
        self.interval = int(spec.args[0]) if spec.args else 0
        if self.interval <= 0:
            from kapacitrio.engine.node import NodeError

            raise NodeError("stats interval must be positive")
        self.align = bool(spec.props.get("align", False))
        observed = spec.props.get("observed")
        self.observed_name: str = observed.name if observed is not None else ""
        self.counts: GroupCounts | None = None

    def attach_runtimes(self, runtimes: dict[str, NodeRuntime]) -> None:
        rt = runtimes.get(self.observed_name)
        if rt is not None:
            self.counts = observe(rt)

    def point(self, p: Point, parent: int) -> None:
        """A stats node takes no input; anything fed to it is ignored."""

    # -- state handover: the observed node's counts, which only ever grow (a deadman's
    # derivative of them would go negative if they started again from zero)
    def snapshot(self) -> Any:
        return None if self.counts is None else self.counts.dump()

    def restore(self, data: Any) -> None:
        if self.counts is None:
            raise ValueError("the observed node is gone")
        self.counts.load(data)

    def tick(self, now: int) -> None:
        """Emit one point per known group (or one for the nil group when none is known yet)."""
        t = round_time(now, self.interval) if self.align else now
        counts = self.counts or GroupCounts()
        if not counts.counts:
            self.emit(Point("stats", {}, {"emitted": 0}, t, group="", dimensions=NO_DIMENSIONS))
            return
        for group, n in counts.counts.items():
            tags, dims = counts.info[group]
            self.emit(Point("stats", dict(tags), {"emitted": n}, t, group=group, dimensions=dims))

    async def run_background(self) -> None:
        clock = self.ctx.clock
        now = clock.now()
        if self.align:
            # first tick on the next multiple of the interval (counted from Go's zero time)
            next_at = now - (now + _GO_EPOCH_OFFSET) % self.interval + self.interval
        else:
            next_at = now + self.interval
        while True:
            await clock.sleep_until(next_at)
            self.tick(clock.now())
            await self.flush()
            next_at += self.interval
