"""The alert node: per-group level state machine, events to topics, augmented points downstream."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import trio

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event, EventData, EventState
from kapacitrio.alerting.topic import Inhibitor
from kapacitrio.engine.node import NodeError, NodeRuntime, register
from kapacitrio.engine.nodes._alert_text import DefaultDetails, default_message
from kapacitrio.models.point import Batch, BatchPoint, DeleteGroup, Point
from kapacitrio.models.result import batch_to_row, point_to_row
from kapacitrio.tick.errors import TickError
from kapacitrio.tick.gotemplate import GoDuration, GoMap, GoStruct, GoTime, Template, TemplateError

DEFAULT_ID = "{{ .Name }}:{{ .Group }}"
DEFAULT_MESSAGE = "{{ .ID }} is {{ .Level }}"
DEFAULT_DETAILS = "{{ json . }}"

# Weights of the flapping measure: from 0.8 (oldest change) up to 1.2 (newest).
_MAX_WEIGHT = 1.2
_MIN_WEIGHT = _MAX_WEIGHT / 1.5

_LEVEL_PROPS = ((levels.INFO, "info"), (levels.WARNING, "warn"), (levels.CRITICAL, "crit"))
_STAT_BY_LEVEL = ("oks_triggered", "infos_triggered", "warns_triggered", "crits_triggered")


def _compile(node: Any) -> Any:
    from kapacitrio.tick.lambdas import compile_expression

    return compile_expression(node)


class AlertOptions:
    """The alert node's properties, read once from its spec."""

    def __init__(self, props: dict[str, Any]) -> None:
        get = props.get
        self.id_tmpl = Template(get("id") or DEFAULT_ID, name="id")
        self.message_tmpl = Template(
            DEFAULT_MESSAGE if get("message") is None else get("message"), name="message"
        )
        self.details_tmpl = Template(
            DEFAULT_DETAILS if get("details") is None else get("details"), html=True, name="details"
        )
        self.exprs: list[Any] = [None, None, None, None]
        self.resets: list[Any] = [None, None, None, None]
        for lvl, key in _LEVEL_PROPS:
            if get(key) is not None:
                self.exprs[lvl] = _compile(get(key))
                if get(key + "Reset") is not None:
                    self.resets[lvl] = _compile(get(key + "Reset"))
        self.history = max(2, int(get("history") or 21))
        self.flapping, self.flap_low, self.flap_high = _flapping(props)
        if self.flapping and (self.flap_low > 1 or self.flap_high > 1):
            raise NodeError("alert flap thresholds are percentages and should be between 0 and 1")
        sco = get("stateChangesOnly")
        self.state_changes_only = bool(sco)
        dur = get("stateChangesOnlyInterval") or get("stateChangesOnlyDuration") or 0
        if not isinstance(sco, bool) and isinstance(sco, int):
            dur = dur or sco
        self.sco_interval = int(dur or 0)
        self.no_recoveries = bool(get("noRecoveries"))
        self.all = bool(get("all"))
        self.topic = get("topic") or ""
        self.category = get("category") or ""
        self.inhibits = _inhibits(get("inhibit") or get("inhibitors"))
        self.level_tag = get("levelTag") or ""
        self.id_tag = get("idTag") or ""
        self.level_field = get("levelField") or ""
        self.id_field = get("idField") or ""
        self.message_field = get("messageField") or ""
        self.duration_field = get("durationField") or ""
        self.augment_tags = bool(self.level_tag or self.id_tag)
        self.augment_fields = bool(
            self.level_field or self.id_field or self.message_field or self.duration_field
        )


_PER_POINT = re.compile(r"Tags|ServerInfo|\$|\b(?:range|with|json|jsonCompact)\b|\.\s*[}|)]|\s\.\s")


def _id_depends_on_group_only(text: str) -> bool:
    """True when an ID template cannot read anything but .Name, .Group and .TaskName."""
    return _PER_POINT.search(text) is None


def _flapping(props: dict[str, Any]) -> tuple[bool, float, float]:
    f = props.get("flapping")
    if isinstance(f, list | tuple) and len(f) == 2:
        return True, float(f[0]), float(f[1])
    if isinstance(f, dict):
        return True, float(f.get("low", 0)), float(f.get("high", 0))
    low, high = props.get("flapLow"), props.get("flapHigh")
    if f or props.get("useFlapping"):
        return True, float(low or 0), float(high or 0)
    return False, 0.0, 0.0


def _inhibits(value: Any) -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []
    for item in value or []:
        if isinstance(item, dict):
            out.append(
                (item.get("category", ""), list(item.get("equalTags") or item.get("tags") or []))
            )
        elif isinstance(item, list | tuple) and item:
            cat, *rest = item
            tags = rest[0] if len(rest) == 1 and isinstance(rest[0], list | tuple) else rest
            out.append((str(cat), [str(t) for t in tags]))
    return out


class _GroupState:
    """The alert state of one group: level history, flapping and trigger times."""

    __slots__ = (
        "history",
        "idx",
        "flapping",
        "changed",
        "expired",
        "first_triggered",
        "last_triggered",
        "exprs",
        "resets",
        "inhibitor",
    )

    def __init__(self, opts: AlertOptions) -> None:
        self.history = [levels.OK] * opts.history
        self.idx = 0
        self.flapping = False
        self.changed = False
        self.expired = False
        self.first_triggered = 0
        self.last_triggered = 0
        self.exprs = [e.instance() if e is not None else None for e in opts.exprs]
        self.resets = [e.instance() if e is not None else None for e in opts.resets]
        self.inhibitor: list[Inhibitor] = []

    @property
    def current(self) -> int:
        return self.history[self.idx]

    def add_event(self, t: int, level: int, opts: AlertOptions) -> None:
        self.changed = self.history[self.idx] != level
        self.idx = (self.idx + 1) % len(self.history)
        self.history[self.idx] = level
        if opts.flapping:
            p = self.percent_change()
            if self.flapping and p < opts.flap_low:
                self.flapping = False
            elif not self.flapping and p > opts.flap_high:
                self.flapping = True
        self.expired = (
            not self.changed
            and opts.sco_interval != 0
            and t - self.last_triggered >= opts.sco_interval
        )

    def percent_change(self) -> float:
        n = len(self.history)
        changes = 0.0
        weight = _MIN_WEIGHT
        step = (_MAX_WEIGHT - weight) / (n - 1)
        h = self.history
        for i in range(n - 1):
            c = (i + self.idx) % n
            p = c - 1 if c else n - 1
            if h[c] != h[p]:
                changes += weight
            weight += step
        return changes / (n - 1)

    def triggered(self, t: int) -> None:
        self.last_triggered = t
        prev = self.idx - 1 if self.idx else len(self.history) - 1
        if self.history[prev] == levels.OK:
            self.first_triggered = t

    @property
    def duration(self) -> int:
        return self.last_triggered - self.first_triggered


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
        self.groups: dict[str, _GroupState] = {}
        # IDs that depend only on the measurement and group are rendered once per group.
        self._id_cache: dict[tuple[str, str], str] | None = (
            {} if _id_depends_on_group_only(self.opts.id_tmpl.text) else None
        )
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
        self._fast_message = self.opts.message_tmpl.text == DEFAULT_MESSAGE
        self._fast_details = (
            DefaultDetails(ctx.task_id, self.server_info)
            if self.opts.details_tmpl.text == DEFAULT_DETAILS
            else None
        )
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
            self.anon_topic = self.service.anonymous_topic(self.ctx.task_id, self.spec.name)
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

    def cardinality(self) -> int:
        return len(self.groups)

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

    def determine_level(self, st: _GroupState, cur: int, t: int, fields: dict, tags: dict) -> int:
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

    # ------------------------------------------------------------------ templates
    def _id_data(self, name: str, group: str, tags: dict) -> GoStruct:
        return GoStruct(
            {
                "Name": name,
                "TaskName": self.ctx.task_id,
                "Group": group or "nil",
                "Tags": GoMap(tags, zero=""),
                "ServerInfo": self.server_info,
            },
            type_name="alert.idInfo",
        )

    def _render_id(self, name: str, group: str, tags: dict) -> str | None:
        cache = self._id_cache
        if cache is not None:
            key = (name, group)
            event_id = cache.get(key)
            if event_id is not None:
                return event_id
        try:
            event_id = self.opts.id_tmpl.render(self._id_data(name, group, tags))
        except TickError as exc:
            self.error(str(exc))
            return None
        if cache is not None:
            if len(cache) > 100_000:
                cache.clear()
            cache[(name, group)] = event_id
        return event_id

    def _state(self, group: str, event_id: str, t: int) -> _GroupState:
        st = self.groups.get(group)
        if st is None:
            st = self.groups[group] = _GroupState(self.opts)
            self._restore(st, event_id, t)
            if self.opts.inhibits and self.service is not None:
                pass  # inhibitors are created with the group's tags on first event
        return st

    def _restore(self, st: _GroupState, event_id: str, t: int) -> None:
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

    def _make_event(
        self,
        event_id: str,
        name: str,
        group: str,
        tags: dict,
        fields: dict,
        level: int,
        t: int,
        duration: int,
        result: dict,
    ) -> Event | None:
        try:
            message, details = self._texts(event_id, name, group, tags, fields, level, t, duration)
        except TickError as exc:
            self.error(str(exc))
            return None
        state = EventState(event_id, message, details, t, duration, level)
        edata = EventData(
            name=name,
            task_name=self.ctx.task_id,
            category=self.opts.category,
            group=group,
            tags=tags,
            fields=fields,
            recoverable=not self.opts.no_recoveries,
            result={"series": [result]},
        )
        return Event(self.anon_topic or self.opts.topic, state, edata)

    def _texts(
        self,
        event_id: str,
        name: str,
        group: str,
        tags: dict,
        fields: dict,
        level: int,
        t: int,
        duration: int,
    ) -> tuple[str, str]:
        """The event's message and details; default templates skip the template engine."""
        fast = self._fast_details
        if self._fast_message:
            lvl = levels.name(level)
            message = default_message(event_id, lvl)
            if fast is not None:
                try:
                    return message, fast.render(
                        event_id, name, group, tags, fields, lvl, t, duration, message
                    )
                except TickError:
                    pass  # the template below words the error
        data = self._id_data(name, group, tags)
        data["ID"] = event_id
        data["Fields"] = GoMap(fields, zero=None)
        data["Level"] = levels.name(level)
        data["Time"] = GoTime(t)
        data["Duration"] = GoDuration(duration)
        data.type_name = "alert.messageInfo"
        message = self.opts.message_tmpl.render(data)
        data["Message"] = message
        data.type_name = "alert.detailsInfo"
        return message, self.opts.details_tmpl.render(data)

    def _handle_event(self, st: _GroupState, event: Event) -> bool:
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

    def _update_inhibitor(self, st: _GroupState, event: Event) -> None:
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

    # ------------------------------------------------------------------ stream
    def point(self, p: Point, parent: int) -> None:
        opts = self.opts
        event_id = self._render_id(p.name, p.group, p.tags)
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
        st: _GroupState,
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
        event = self._make_event(
            event_id, src.name, src.group, src.tags, fields, level, t, st.duration, to_row(src)
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
        event_id = self._render_id(b.name, b.group, b.tags)
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
