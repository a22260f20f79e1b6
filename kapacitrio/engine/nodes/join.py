"""join: merge the messages of several parents that share a group and a (rounded) time."""

from __future__ import annotations

import heapq
from typing import Any

from kapacitrio.engine import snapcodec as codec
from kapacitrio.engine.node import NodeRuntime, register
from kapacitrio.engine.nodes._join_chunk import join_two
from kapacitrio.models.point import Barrier, Batch, BatchPoint, DeleteGroup, Dimensions, Point

# Go's zero time (year 1) is this many ns before the Unix epoch; time.Round counts from it.
_GO_EPOCH_OFFSET = 62_135_596_800 * 1_000_000_000

Message = Point | Batch


def round_time(t: int, d: int) -> int:
    """Round t to the nearest multiple of d (halfway rounds up), as Go's `Time.Round` does."""
    if d <= 0:
        return t
    r = (t + _GO_EPOCH_OFFSET) % d
    return t - r if r + r < d else t + d - r


def closed_by(t: int, tolerance: int, barrier_time: int) -> bool:
    """True when no message at or after `barrier_time` can round to the time t."""
    if tolerance <= 0:
        return barrier_time > t
    return barrier_time >= t + (tolerance + 1) // 2


def msg_time(m: Message) -> int:
    return m.time if isinstance(m, Point) else m.tmax


def _group_tags(m: Message) -> dict:
    return m.dimensions.group_tags(m.tags) if isinstance(m, Point) else m.tags


class JoinSet:
    """At most one message per parent for one rounded time."""

    __slots__ = ("time", "values", "count", "first_index")

    def __init__(self, time: int, size: int) -> None:
        self.time = time
        self.values: list[Message | None] = [None] * size
        self.count = 0
        self.first_index = size

    def set(self, src: int, m: Message) -> None:
        self.values[src] = m
        self.count += 1
        if src < self.first_index:
            self.first_index = src

    def ready(self) -> bool:
        return self.count == len(self.values)

    def first(self) -> Message:
        m = self.values[self.first_index]
        assert m is not None
        return m


class _Group:
    """The pending join sets of one group, oldest time first, and each parent's latest time."""

    def __init__(self, size: int) -> None:
        self.sets: dict[int, list[JoinSet]] = {}
        self._times: list[int] = []  # heap of the times in `sets` (stale entries popped lazily)
        self.oldest: int | None = None
        self.head: list[int | None] = [None] * size
        self.size = size

    def collect(self, src: int, m: Message, t: int) -> list[JoinSet]:
        if self.oldest is None or t < self.oldest:
            self.oldest = t
        sets = self.sets.get(t)
        if sets is None:
            sets = self.sets[t] = []
            heapq.heappush(self._times, t)
        target = None
        for js in sets:
            if js.values[src] is None:
                target = js
                break
        if target is None:
            target = JoinSet(t, self.size)
            sets.append(target)
        target.set(src, m)
        self.head[src] = t
        return self.advance()

    def advance(self) -> list[JoinSet]:
        """Release the sets of the oldest time: only the complete ones while a parent lags."""
        out: list[JoinSet] = []
        while self.oldest is not None:
            oldest = self.oldest
            head = self.head
            only_ready = None in head or min(head) <= oldest  # type: ignore[type-var]
            released = self._release(only_ready)
            out.extend(released)
            if not released or self.oldest == oldest:
                break
        return out

    def _release(self, only_ready: bool) -> list[JoinSet]:
        assert self.oldest is not None
        sets = self.sets.get(self.oldest, [])
        i = 0
        while i < len(sets) and (not only_ready or sets[i].ready()):
            i += 1
        out = sets[:i]
        if i == len(sets):
            self.sets.pop(self.oldest, None)
        else:
            self.sets[self.oldest] = sets[i:]
        self.oldest = self._min_time()
        return out

    def _min_time(self) -> int | None:
        times = self._times
        while times and times[0] not in self.sets:
            heapq.heappop(times)
        return times[0] if times else None

    def forget(self, src: int) -> bool:
        """Drop one parent's pending messages and position; True when nothing is left."""
        self.head[src] = None
        for t in list(self.sets):
            kept = []
            for js in self.sets[t]:
                if js.values[src] is not None:
                    js.values[src] = None
                    js.count -= 1
                    present = [i for i, v in enumerate(js.values) if v is not None]
                    js.first_index = present[0] if present else len(js.values)
                if js.count:
                    kept.append(js)
            if kept:
                self.sets[t] = kept
            else:
                del self.sets[t]
        self._times = sorted(self.sets)
        self.oldest = self._times[0] if self._times else None
        return not self.sets and all(h is None for h in self.head)

    def flush(self) -> list[JoinSet]:
        out: list[JoinSet] = []
        while self.oldest is not None:
            out.extend(self._release(False))
        return out

    # -- state handover
    def dump(self) -> list[Any]:
        sets = [
            [t, [[None if v is None else codec.message(v) for v in js.values] for js in jss]]
            for t, jss in self.sets.items()
        ]
        return [list(self.head), sets]

    @classmethod
    def load(cls, size: int, data: Any) -> _Group:
        head, sets = data
        g = cls(size)
        if len(head) != size:
            raise ValueError("join parents changed")
        g.head = [codec.opt_integer(h) for h in head]
        for t, jss in sets:
            t = codec.integer(t)
            g.sets[t] = []
            for values in jss:
                if len(values) != size:
                    raise ValueError("join parents changed")
                js = JoinSet(t, size)
                for src, v in enumerate(values):
                    if v is not None:
                        js.set(src, codec.message_of(v))
                g.sets[t].append(js)
        g._times = sorted(g.sets)
        g.oldest = g._times[0] if g._times else None
        return g


@register("join")
class JoinNode(NodeRuntime):
    """Inner/outer join of N parents by group and time, optionally on fewer dimensions."""

    def __init__(self, spec, ctx) -> None:
        super().__init__(spec, ctx)
        p = spec.props
        self.size = max(len(spec.parents), 1)
        self.prefixes: list[str] = list(p.get("as") or [])
        self.on: list[str] = sorted(p.get("on") or [])
        self.delim: str = p.get("delimiter", ".")
        self.tolerance = int(p.get("tolerance") or 0)
        fill = p.get("fill")
        self.fill: Any = None if fill in (None, "none") else fill
        self.stream_name: str = p.get("streamName") or ""
        self.delete_all = bool(p.get("deleteAll", False))
        self.groups: dict[str, _Group] = {}
        # state of the `.on(...)` matching
        self.reported: set[int] = set()
        self.low_marks: dict[tuple[int, str], int] = {}
        self.match_buf: dict[str, list[tuple[int, Message]]] = {}
        self.spec_buf: dict[str, list[tuple[int, Message]]] = {}

    def cardinality(self) -> int:
        return len(self.groups)

    # -- state handover: the pending join sets and each parent's time per group, and the
    # buffers of `.on(...)` matching
    def snapshot(self) -> Any:
        return {
            "groups": {gid: g.dump() for gid, g in self.groups.items()},
            "reported": sorted(self.reported),
            "low": [[src, gid, t] for (src, gid), t in self.low_marks.items()],
            "match": _dump_bufs(self.match_buf),
            "spec": _dump_bufs(self.spec_buf),
        }

    def restore(self, data: Any) -> None:
        groups = {
            gid: _Group.load(self.size, g) for gid, g in codec.mapping(data["groups"]).items()
        }
        reported = {_source(s, self.size) for s in data["reported"]}
        low = {(_source(s, self.size), str(g)): codec.integer(t) for s, g, t in data["low"]}
        match, spec = _load_bufs(data["match"], self.size), _load_bufs(data["spec"], self.size)
        self.groups.update(groups)
        self.reported |= reported
        self.low_marks.update(low)
        self.match_buf.update(match)
        self.spec_buf.update(spec)

    # -- input
    def merged_chunks(self, envelopes: list[tuple[int, Any]]) -> int:
        """Both parents' chunks of one write joined in bulk; -1: message by message."""
        if self.on or self.size != 2 or self.tolerance or len(self.prefixes) != 2:
            return -1
        res = join_two(envelopes, self.prefixes, self.delim, self.stream_name)
        if res is None:
            return -1
        out, heads = res
        if any((g := self.groups.get(gid)) is not None and g.sets for gid in heads):
            return -1
        for gid, (ta, tb) in heads.items():
            g = self.groups.get(gid)
            if g is None:
                g = self.groups[gid] = _Group(self.size)
            g.head[0], g.head[1] = ta, tb
        self.emit_chunk(out)
        return sum(len(c) for _, c in envelopes)

    def point(self, p: Point, parent: int) -> None:
        self._receive(parent, p)

    def batch(self, b: Batch, parent: int) -> None:
        self._receive(parent, b)

    def _receive(self, src: int, m: Message) -> None:
        if self.on:
            self._match(src, m)
        else:
            self._collect(m.group, src, m)

    def barrier(self, b: Barrier, parent: int) -> None:
        t = round_time(b.time, self.tolerance)
        targets = self.groups.values() if b.group is None else [self.groups.get(b.group)]
        for g in list(targets):
            if g is None:
                continue
            if g.head[parent] is None or g.head[parent] < t:
                g.head[parent] = t
            self._emit_sets(g.advance())
        self.emit(b)

    def delete_group(self, d: DeleteGroup, parent: int) -> None:
        """Forget the group: every parent's part with deleteAll, else only this parent's."""
        g = self.groups.get(d.group)
        if g is not None:
            if self.delete_all or g.forget(parent):
                del self.groups[d.group]
        self.emit(d)

    def finish(self) -> None:
        for g in self.groups.values():
            self._emit_sets(g.flush())

    # -- grouping
    def _collect(self, group: str, src: int, m: Message) -> None:
        g = self.groups.get(group)
        if g is None:
            g = self.groups[group] = _Group(self.size)
        self._emit_sets(g.collect(src, m, round_time(msg_time(m), self.tolerance)))

    def _on_group_id(self, m: Message) -> str:
        dims = Dimensions(m.dimensions.by_name, tuple(self.on))
        return dims.group_id(m.name, _group_tags(m))

    def _match(self, src: int, m: Message) -> None:
        """Pair the less specific parent's messages (exactly the `on` dims) with the specific ones."""
        self.reported.add(src)
        all_reported = len(self.reported) == self.size
        t = round_time(msg_time(m), self.tolerance)
        gid = self._on_group_id(m)
        self.low_marks[(src, gid)] = t
        low = None
        if all_reported:
            low = min(self.low_marks.get((s, gid), 0) for s in range(self.size))
            buf = self.spec_buf.get(gid, [])
            i = 0
            while i < len(buf) and round_time(msg_time(buf[i][1]), self.tolerance) < low:
                self._collect(buf[i][1].group, *buf[i])
                i += 1
            self.spec_buf[gid] = buf[i:]
        if len(m.dimensions.tag_names) > len(self.on):
            self._specific(src, m, t, gid, low, all_reported)
        else:
            self.match_buf.setdefault(gid, []).append((src, m))
            buf = self.spec_buf.get(gid, [])
            i = 0
            while i < len(buf) and round_time(msg_time(buf[i][1]), self.tolerance) == t:
                self._send_match(buf[i], (src, m))
                i += 1
            self.spec_buf[gid] = buf[i:]

    def _specific(
        self, src: int, m: Message, t: int, gid: str, low: int | None, all_reported: bool
    ) -> None:
        matches = self.match_buf.get(gid, [])
        matched = False
        i = 0
        while i < len(matches):
            mt = round_time(msg_time(matches[i][1]), self.tolerance)
            if mt == t:
                self._send_match((src, m), matches[i])
                matched = True
            if low is None or mt >= low:
                break
            i += 1
        if all_reported:
            self.match_buf[gid] = matches[i:]
        if not matched:
            if all_reported and low is not None and t < low:
                self._collect(m.group, src, m)
            else:
                self.spec_buf.setdefault(gid, []).append((src, m))

    def _send_match(self, specific: tuple[int, Message], matched: tuple[int, Message]) -> None:
        s_src, s_msg = specific
        m_src, m_msg = matched
        copy = m_msg.copy_with(group=s_msg.group, dimensions=s_msg.dimensions, tags=s_msg.tags)
        self._collect(s_msg.group, s_src, s_msg)
        self._collect(s_msg.group, m_src, copy)

    # -- output
    def _emit_sets(self, sets: list[JoinSet]) -> None:
        for s in sets:
            out = self._join_batch(s) if isinstance(s.first(), Batch) else self._join_point(s)
            if out is not None:
                self.emit(out)

    def _fill_fields(self, fields: dict, i: int, names: Any) -> bool:
        """Fill parent i's missing fields; False when the set must be dropped (inner join)."""
        if self.fill is None:
            return False
        if self.fill != "null":
            for k in names:
                fields[self.prefixes[i] + self.delim + k] = self.fill
        return True

    def _join_point(self, s: JoinSet) -> Point | None:
        first = s.first()
        assert isinstance(first, Point)
        fields: dict = {}
        for i, v in enumerate(s.values):
            if v is None:
                if not self._fill_fields(fields, i, first.fields):
                    return None
            else:
                for k, val in v.fields.items():
                    fields[self.prefixes[i] + self.delim + k] = val
        name = self.stream_name or first.name
        tags = first.dimensions.group_tags(first.tags)
        return Point(name, tags, fields, s.time, first.db, first.rp, first.group, first.dimensions)

    def _join_batch(self, s: JoinSet) -> Batch | None:
        first = s.first()
        assert isinstance(first, Batch)
        n = len(s.values)
        idx = [0] * n
        done = [False] * n
        field_names: list[str] | None = None
        points: list[BatchPoint] = []
        while not all(done):
            row: list[BatchPoint | None] = [None] * n
            row_time: int | None = None
            count = 0
            for i, b in enumerate(s.values):
                if done[i]:
                    continue
                if b is None or idx[i] == len(b.points):
                    done[i] = True
                    continue
                bp = b.points[idx[i]]
                t = round_time(bp.time, self.tolerance)
                if row_time is None:
                    row_time = t
                if t < row_time:
                    row_time = t
                    for j in range(n):
                        if row[j] is not None:
                            idx[j] -= 1
                        row[j] = None
                    row[i] = bp
                    idx[i] += 1
                    count = 1
                elif t == row_time:
                    if field_names is None:
                        field_names = list(bp.fields)
                    row[i] = bp
                    idx[i] += 1
                    count += 1
            if count == 0 or row_time is None:
                continue
            fields: dict = {}
            complete = True
            for i, bp in enumerate(row):
                if bp is None:
                    if not self._fill_fields(fields, i, field_names or []):
                        complete = False
                        break
                else:
                    for k, val in bp.fields.items():
                        fields[self.prefixes[i] + self.delim + k] = val
            if complete:
                points.append(BatchPoint(row_time, fields, first.tags))
        name = self.stream_name or first.name
        return Batch(
            name, first.tags, s.time, points, first.group, first.dimensions, first.db, first.rp
        )


def _source(src: Any, size: int) -> int:
    src = codec.integer(src)
    if not 0 <= src < size:
        raise ValueError("join parents changed")
    return src


def _dump_bufs(bufs: dict[str, list[tuple[int, Message]]]) -> dict[str, list[Any]]:
    return {gid: [[src, codec.message(m)] for src, m in buf] for gid, buf in bufs.items()}


def _load_bufs(data: Any, size: int) -> dict[str, list[tuple[int, Message]]]:
    return {
        gid: [(_source(src, size), codec.message_of(m)) for src, m in buf]
        for gid, buf in codec.mapping(data).items()
    }
