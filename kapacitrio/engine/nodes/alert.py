"""The alert node: a level per point (or batch), the group's state machine, events to topics, and the
points it alerted on passed downstream (with the level, ID, message or duration when asked)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import trio

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event, EventState
from kapacitrio.alerting.topic import Inhibitor
from kapacitrio.engine.node import NodeError, NodeRuntime, register
from kapacitrio.engine.nodes._alert_chunk import (
    chunk_levels,
    columnar_levels,
    encodable_chunk,
    group_rows,
    level_counts,
    walk_group,
)
from kapacitrio.engine.nodes._alert_events import EventMaker
from kapacitrio.engine.nodes._alert_options import AlertOptions
from kapacitrio.engine.nodes._alert_state import GroupState
from kapacitrio.models.columns import ColumnChunk
from kapacitrio.models.point import Batch, BatchPoint, DeleteGroup, Point
from kapacitrio.models.result import batch_to_row, point_to_row
from kapacitrio.tick.errors import TickError
from kapacitrio.tick.gotemplate import GoStruct, TemplateError

_STAT_BY_LEVEL = ("oks_triggered", "infos_triggered", "warns_triggered", "crits_triggered")


@register("alert")
class AlertNode(NodeRuntime):
    """`|alert()`: decides a level per point (or batch), sends events, forwards what it sends."""

    extra_stats = {
        "alerts_triggered": 0,
        "oks_triggered": 0,
        "infos_triggered": 0,
        "warns_triggered": 0,
        "crits_triggered": 0,
        "alerts_inhibited": 0,
        "events_dropped": 0,
    }

    def __init__(self, spec: Any, ctx: Any) -> None:
        super().__init__(spec, ctx)
        try:
            self.opts = AlertOptions(spec.props)
        except (TemplateError, TickError) as exc:
            raise NodeError(str(exc)) from None
        self.groups: dict[str, GroupState] = {}
        self.service = getattr(ctx.services, "alerts", None) if ctx.services is not None else None
        self.anon_topic = ""
        self._runners: list[Any] = []
        self._handlers: list[Any] = []
        self._inhibitors: list[Inhibitor] = []
        self.server_info = GoStruct(
            {
                "Hostname": getattr(self.service, "hostname", "localhost"),
                "ClusterID": getattr(self.service, "cluster_id", ""),
                "ServerID": getattr(self.service, "server_id", ""),
            },
            type_name="alert.serverInfo",
        )
        self.events = EventMaker(self.opts, ctx.task_id, self.server_info, self.error)
        self._columnar = columnar_levels(self.opts)
        if self.service is not None:
            self._attach_handlers(spec.props.get("handlers") or [])

    # ------------------------------------------------------------------ handlers
    def _attach_handlers(self, specs: list[Any]) -> None:
        from kapacitrio.alerting.handlers.base import HandlerOptionError

        handlers = []
        kinds = set()
        for hs in specs:
            kind = getattr(hs, "kind", None) or (hs.get("kind") if isinstance(hs, dict) else None)
            args = getattr(hs, "args", None) if not isinstance(hs, dict) else hs.get("args")
            props = getattr(hs, "props", None) if not isinstance(hs, dict) else hs.get("props")
            try:
                handlers.append(
                    self.service.build_inline(kind, list(args or []), dict(props or {}))
                )
            except HandlerOptionError as exc:
                raise NodeError(f"failed to create {kind} handler: {exc}") from None
            kinds.add(str(kind).lower())
        global_handlers = getattr(self.service, "global_handlers", None)
        if global_handlers is not None:
            extra, force_sco = global_handlers(kinds)
            handlers.extend(extra)
            if force_sco:
                self.opts.state_changes_only = True
        if handlers:
            self.anon_topic = self.service.anonymous_topic(
                self.ctx.task_id, self.spec.name, getattr(self.ctx, "task_master", "")
            )
        self._handlers = handlers

    def _attach(self) -> None:
        """Put the inline handlers on the anonymous topic (once, when the task runs)."""
        if self._handlers and not self._runners and self.service is not None:
            self._runners = self.service.attach_task_handlers(self.anon_topic, self._handlers)

    async def run_background(self) -> None:
        try:
            self._attach()
            await trio.sleep_forever()
        finally:
            self.close()

    def close(self) -> None:
        """Detach inline handlers and inhibitors (the task stopped)."""
        if self.service is None:
            return
        if self._runners:
            self.service.detach_task_handlers(self.anon_topic, self._runners)
            self._runners = []
        self._handlers = []
        for inh in self._inhibitors:
            self.service.remove_inhibitor(inh)
        self._inhibitors = []

    group_table = "groups"

    def cardinality(self) -> int:
        return len(self.groups)

    # ------------------------------------------------------------------ state handover
    def snapshot(self) -> Any:
        """Each group's level history, flapping flag and state-changes-only bookkeeping; a group
        never triggered and only ever OK is left out (a fresh one is the same)."""
        return {gid: st.dump() for gid, st in self.groups.items() if not st.fresh_like()}

    def restore(self, data: Any) -> None:
        groups = {}
        for gid, item in data.items():
            st = groups[gid] = GroupState(self.opts)
            st.load(item)
        self.groups.update(groups)

    # ------------------------------------------------------------------ levels
    def _eval(
        self, inst: Any, lvl: int, t: int, fields: dict, tags: dict, reset: bool
    ) -> bool | None:
        try:
            return bool(inst.eval_bool(t, fields, tags))
        except TickError as exc:
            what = "reset expression for current level" if reset else "expression for level"
            self.error(f"error evaluating {what} {levels.name(lvl)}: {exc}")
            return None

    def determine_level(self, st: GroupState, cur: int, t: int, fields: dict, tags: dict) -> int:
        exprs = st.exprs
        for lvl in range(levels.CRITICAL, max(cur - 1, levels.OK), -1):
            inst = exprs[lvl]
            if inst is not None:
                try:  # inlined rather than through _eval: this runs for every point
                    if inst.eval_bool(t, fields, tags):
                        return lvl
                except TickError as exc:
                    self._level_error(lvl, exc)
        reset = st.resets[cur]
        if reset is not None:
            passed = self._eval(reset, cur, t, fields, tags, True)
            if passed is False:
                return cur
        for lvl in range(cur, levels.OK, -1):
            inst = exprs[lvl]
            if inst is not None:
                try:
                    if inst.eval_bool(t, fields, tags):
                        return lvl
                except TickError as exc:
                    self._level_error(lvl, exc)
        return levels.OK

    def _level_error(self, lvl: int, exc: TickError) -> None:
        self.error(f"error evaluating expression for level {levels.name(lvl)}: {exc}")

    # ------------------------------------------------------------------ events
    def _state(self, group: str, event_id: str, t: int) -> GroupState:
        st = self.groups.get(group)
        if st is None:
            st = self.groups[group] = GroupState(self.opts)
            self._restore(st, event_id, t)
        return st

    def _restore(self, st: GroupState, event_id: str, t: int) -> None:
        if self.service is None:
            return
        state = None
        if self.anon_topic:
            state = self.service.event_state(self.anon_topic, event_id)
        if state is None and self.opts.topic:
            state = self.service.event_state(self.opts.topic, event_id)
        if state is not None and state.level != levels.OK:
            st.add_event(t, state.level, self.opts)
            st.triggered(state.time)

    def _handle_event(self, st: GroupState, event: Event) -> bool:
        """Count, check inhibition, collect; False when inhibited (nothing is forwarded)."""
        level = event.state.level
        self._update_inhibitor(st, event)
        if self.service is not None and self.service.is_inhibited(
            self.opts.category, event.data.tags
        ):
            self.stats["alerts_inhibited"] += 1
            return False
        self.stats["alerts_triggered"] += 1
        self.stats[_STAT_BY_LEVEL[level]] += 1
        if self.service is None:
            return True
        if self._handlers and not self._runners:
            self._attach()
        if self.anon_topic and not self.service.handle_event(self.anon_topic, event):
            self.stats["events_dropped"] += 1
        if self.opts.topic and not self.service.handle_event(self.opts.topic, event):
            self.stats["events_dropped"] += 1
        return True

    def _update_inhibitor(self, st: GroupState, event: Event) -> None:
        if not self.opts.inhibits or self.service is None:
            return
        if not st.inhibitor:
            for cat, equal in self.opts.inhibits:
                inh = Inhibitor(cat, dict(event.data.tags), equal)
                st.inhibitor.append(inh)
                self._inhibitors.append(inh)
                self.service.add_inhibitor(inh)
        for inh in st.inhibitor:
            inh.active = event.state.level != levels.OK

    # ------------------------------------------------------------------ columnar chunks
    def point_chunk(self, chunk: Any, parent: int) -> int:
        """A columnar chunk: levels by columns, each group's state machine over its levels, then
        the events in row order. -1 (point by point) wherever that could change a result."""
        if self._columnar is None or type(chunk) is not ColumnChunk:
            return -1
        if not chunk:
            return 0
        if len(chunk.names()) > 1 or not self.events.groups_only:
            return -1
        level = chunk_levels(self._columnar, chunk)
        if level is None:
            return -1
        fired = self._walk_groups(chunk, level)
        if fired is None:
            return -1
        rows, lvls, durs, states = fired
        if self.opts.no_recoveries:  # triggered, but no event: as `_fire`
            keep = lvls != levels.OK
            rows, lvls, durs = rows[keep], lvls[keep], durs[keep]
            states = [st for st, k in zip(states, keep.tolist(), strict=True) if k]
        sent, sent_states = self._send_chunk_events(chunk, rows, lvls, durs, states)
        if len(sent):
            if sent_states is not None and (self.opts.augment_tags or self.opts.augment_fields):
                points = chunk.rows()
                for i, state in zip(sent, sent_states, strict=True):
                    self.emit(self._augment_point(points[i], state))  # type: ignore[arg-type]
            elif len(sent) == len(chunk):  # every row sent (ascending): the chunk itself
                self.emit_chunk(chunk)
            else:
                self.emit_chunk(chunk.take(np.asarray(sent, dtype=np.int64)))
        return len(chunk)

    def _walk_groups(
        self, chunk: ColumnChunk, level: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[GroupState, str]]] | None:
        """The rows that trigger events (in row order), their levels, durations and
        (group state, event ID); None when a group's ID fails or two groups share an ID."""
        names, scodes, time = chunk.series.names, chunk.series_codes, chunk.time
        group = chunk.single_group()
        if group is not None:  # one group (as behind a routed `where`): every row, in order
            s = int(scodes[0])
            event_id = self.events.render_id(
                names[s], group, chunk.series.tags[s], count_errors=False
            )
            if event_id is None:
                return None
            st = self._state(group, event_id, int(time[0]))
            pos, dur = walk_group(st, self.opts, level, time)
            return pos, level[pos] if len(pos) else level[:0], dur, [(st, event_id)] * len(pos)
        codes, group_ids = chunk.group_codes()
        parts = group_rows(codes)
        ids = []
        for g, grows in parts:
            first = int(grows[0])
            s = int(scodes[first])
            event_id = self.events.render_id(
                names[s], group_ids[g], chunk.series.tags[s], count_errors=False
            )
            if event_id is None:
                return None  # point by point counts the ID error per point
            ids.append(event_id)
        if len(set(ids)) < len(ids):
            return None  # a restored state could depend on another group's events
        out_rows, out_lvls, out_durs, out_states = [], [], [], []
        for (g, grows), event_id in zip(parts, ids, strict=True):
            st = self._state(group_ids[g], event_id, int(time[grows[0]]))
            lv = level[grows]
            pos, dur = walk_group(st, self.opts, lv, time[grows])
            if len(pos):
                out_rows.append(grows[pos])
                out_lvls.append(lv[pos])
                out_durs.append(dur)
                out_states.extend([(st, event_id)] * len(pos))
        if not out_rows:
            return np.zeros(0, np.int64), np.zeros(0, np.int8), np.zeros(0, np.int64), []
        rows = np.concatenate(out_rows)
        order = np.argsort(rows, kind="stable")
        return (
            rows[order],
            np.concatenate(out_lvls)[order],
            np.concatenate(out_durs)[order],
            [out_states[i] for i in order.tolist()],
        )

    def _send_chunk_events(
        self,
        chunk: ColumnChunk,
        rows: np.ndarray,
        lvls: np.ndarray,
        durs: np.ndarray,
        states: list[tuple[GroupState, str]],
    ) -> tuple[list[int] | np.ndarray, list[EventState] | None]:
        """Make and hand on the events of these rows; returns the rows of those sent, ascending,
        and their states (None where nobody sees each event: then the node does not augment)."""
        if not len(rows):
            return rows, None
        svc = self.service
        if self._handlers and not self._runners:
            self._attach()
        topics = [t for t in (self.anon_topic, self.opts.topic) if t]
        safe = encodable_chunk(chunk)
        bulk = (
            self.events.lazy
            and safe
            and not (self.opts.augment_tags or self.opts.augment_fields)
            and not self.opts.inhibits
            and (
                svc is None or (not svc.inhibitors and not any(map(svc.needs_every_event, topics)))
            )
        )
        make = self._chunk_event_maker(chunk, safe)
        if not bulk:
            sent, sent_states = [], []
            for i, lvl, dur, (st, event_id) in zip(
                rows.tolist(), lvls.tolist(), durs.tolist(), states, strict=True
            ):
                event = make(i, lvl, dur, event_id)
                if event is not None and self._handle_event(st, event):
                    sent.append(i)
                    sent_states.append(event.state)
            return sent, sent_states
        # Nobody sees each event: count them all, keep each ID's last one.
        stats = self.stats
        stats["alerts_triggered"] += len(states)
        for name, n in zip(_STAT_BY_LEVEL, level_counts(lvls), strict=True):
            stats[name] += n
        if states.count(states[0]) == len(states):  # one group (routed tasks): its last row
            last_rows = [len(states) - 1]  # (a C-speed scan; the general loop costs 2 µs more)
        else:  # each ID's last row, in the order the IDs first appear
            last_rows = list({event_id: j for j, (_, event_id) in enumerate(states)}.values())
        events = [make(int(rows[j]), int(lvls[j]), int(durs[j]), states[j][1]) for j in last_rows]
        if svc is not None:
            for topic in topics:
                svc.collect_last(topic, events, len(states))  # type: ignore[arg-type]
        return rows, None

    def _chunk_event_maker(self, chunk: ColumnChunk, safe: bool | None) -> Any:
        s_names, s_tags, s_groups = chunk.series.names, chunk.series.tags, chunk.series.groups
        scodes = chunk.series_codes
        topic = self.anon_topic or self.opts.topic
        make = self.events.make

        def event_at(i: int, lvl: int, dur: int, event_id: str) -> Event | None:
            s = int(scodes[i])
            return make(
                topic,
                event_id,
                s_names[s],
                "" if s_groups is None else s_groups[s],  # (a group is its series')
                s_tags[s],
                lambda: chunk[i].fields,
                lvl,
                int(chunk.time[i]),
                dur,
                lambda: point_to_row(chunk[i]),
                safe,
            )

        return event_at

    # ------------------------------------------------------------------ stream
    def point(self, p: Point, parent: int) -> None:
        opts = self.opts
        event_id = self.events.render_id(p.name, p.group, p.tags)
        if event_id is None:
            return
        st = self._state(p.group, event_id, p.time)
        level = self.determine_level(st, st.current, p.time, p.fields, p.tags)
        st.add_event(p.time, level, opts)
        if (opts.flapping and st.flapping) or (
            opts.state_changes_only and not st.changed and not st.expired
        ):
            return
        if level == levels.OK and not st.changed:
            return
        state = self._fire(st, event_id, p, p.fields, level, p.time, point_to_row)
        if state is not None:
            self.emit(self._augment_point(p, state))

    def _fire(
        self,
        st: GroupState,
        event_id: str,
        src: Point | Batch,
        fields: dict,
        level: int,
        t: int,
        to_row: Callable[[Any], dict],
    ) -> EventState | None:
        """Trigger the group, build and handle the event; the state when it should be emitted.

        ``to_row(src)`` is only called once the event is really made.
        """
        st.triggered(t)
        if self.opts.no_recoveries and level == levels.OK:
            return None
        event = self.events.make(
            self.anon_topic or self.opts.topic,
            event_id,
            src.name,
            src.group,
            src.tags,
            fields,
            level,
            t,
            st.duration,
            lambda: to_row(src),
        )
        if event is None or not self._handle_event(st, event):
            return None
        return event.state

    def _augment_point(self, p: Point, state: EventState) -> Point:
        opts = self.opts
        if not (opts.augment_tags or opts.augment_fields):
            return p
        changes: dict[str, Any] = {}
        if opts.augment_tags:
            changes["tags"] = self._tags_with(p.tags, state)
        if opts.augment_fields:
            changes["fields"] = self._fields_with(p.fields, state)
        return p.copy_with(**changes)

    def _tags_with(self, tags: dict, state: EventState) -> dict:
        tags = dict(tags)
        if self.opts.level_tag:
            tags[self.opts.level_tag] = levels.name(state.level)
        if self.opts.id_tag:
            tags[self.opts.id_tag] = state.id
        return tags

    def _fields_with(self, fields: dict, state: EventState) -> dict:
        opts = self.opts
        fields = dict(fields)
        if opts.level_field:
            fields[opts.level_field] = levels.name(state.level)
        if opts.message_field:
            fields[opts.message_field] = state.message
        if opts.id_field:
            fields[opts.id_field] = state.id
        if opts.duration_field:
            fields[opts.duration_field] = int(state.duration)
        return fields

    # ------------------------------------------------------------------ batch
    def batch(self, b: Batch, parent: int) -> None:
        opts = self.opts
        event_id = self.events.render_id(b.name, b.group, b.tags)
        if event_id is None or not b.points:
            return
        st = self._state(b.group, event_id, b.tmax)
        cur = st.current
        lowest = levels.CRITICAL
        highest = levels.OK
        highest_point: BatchPoint | None = None
        for bp in b.points:
            lvl = self.determine_level(st, cur, bp.time, bp.fields, bp.tags)
            if lvl < lowest:
                lowest = lvl
            if lvl > highest or highest_point is None:
                highest = lvl
                highest_point = bp
        assert highest_point is not None
        level = lowest if opts.all else highest
        t = b.tmax if (opts.all or level == levels.OK) else highest_point.time
        st.add_event(t, level, opts)
        send = (st.changed and level == levels.OK) or (
            level != levels.OK
            and not (
                (opts.flapping and st.flapping)
                or (opts.state_changes_only and not st.changed and not st.expired)
            )
        )
        if not send:
            return
        state = self._fire(st, event_id, b, highest_point.fields, level, t, batch_to_row)
        if state is not None:
            self.emit(self._augment_batch(b, state))

    def _augment_batch(self, b: Batch, state: EventState) -> Batch:
        opts = self.opts
        if not (opts.augment_tags or opts.augment_fields):
            return b
        points = []
        for bp in b.points:
            tags = self._tags_with(bp.tags, state) if opts.augment_tags else bp.tags
            fields = self._fields_with(bp.fields, state) if opts.augment_fields else bp.fields
            points.append(BatchPoint(bp.time, fields, tags))
        tags = self._tags_with(b.tags, state) if opts.augment_tags else b.tags
        return b.copy_with(points=points, tags=tags)

    def delete_group(self, d: DeleteGroup, parent: int) -> None:
        st = self.groups.pop(d.group, None)
        if st is not None and self.service is not None:
            for inh in st.inhibitor:
                self.service.remove_inhibitor(inh)
                if inh in self._inhibitors:
                    self._inhibitors.remove(inh)
        self.emit(d)

    def finish(self) -> None:
        """Inputs closed; handlers are detached when the task's nursery ends."""
