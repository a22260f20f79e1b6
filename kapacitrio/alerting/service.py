"""The alert service: topics, their event state, handlers run off the hot path, inhibitors and feeds."""

from __future__ import annotations

import fnmatch
import itertools
import re
from collections.abc import Callable
from typing import Any

import trio

from kapacitrio.alerting import handlers as registry
from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event, EventState
from kapacitrio.alerting.feed import EventFeeds
from kapacitrio.alerting.handlers.base import (
    Handler,
    HandlerEnv,
    HandlerOptionError,
    pick_section,
    section_field,
)
from kapacitrio.alerting.match import MatchError, compile_match
from kapacitrio.alerting.topic import HandlerRunner, Inhibitor, Topic
from kapacitrio.logratelimit import LogLimiter, summary_text
from kapacitrio.logs import get_logger
from kapacitrio.plainhttp import PlainHTTPClient

_log = get_logger("alerting")

TOPIC_ID_RE = re.compile(r"^[-:._\w]+$")
HANDLER_ID_RE = re.compile(r"^[-._\w]+$")

EVENTS_KIND = "alert_events"
FLUSH_BATCH = 500
HANDLERS_KIND = "alert_handlers"
DEFAULT_BUFFER = 5000


class AlertServiceError(ValueError):
    """A request to the alert service is invalid (bad ID, unknown handler, ...)."""


class NotFound(KeyError):
    """The topic, event or handler does not exist."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "not found"


def glob_match(pattern: str, text: str) -> bool:
    """Go `path.Match`-style glob (`*` does not cross `/`)."""
    if pattern in ("", "*"):
        return "/" not in text or pattern == ""
    return fnmatch.fnmatchcase(text, pattern)


class AlertService:
    """Owns topics and handlers. `handle_event` is synchronous and never waits for a handler."""

    def __init__(
        self,
        store: Any = None,
        *,
        config: Callable[[str], Any] | None = None,
        kapacitor_id: str = "main",
        server_url: str = "http://localhost:9092",
        buffer: int = DEFAULT_BUFFER,
    ) -> None:
        self.store = store
        self.kapacitor_id = kapacitor_id
        self.buffer = max(1, buffer)
        self.topics: dict[str, Topic] = {}
        self.env = HandlerEnv(
            service=self, config=config, log=self._handler_log, server_url=server_url
        )
        self.inhibitors: list[Inhibitor] = []
        self.feeds = EventFeeds()
        self._nursery: trio.Nursery | None = None
        self._pending: list[HandlerRunner] = []
        self._detached: list[HandlerRunner] = []
        self._progress = trio.Event()
        self._dirty: dict[tuple[str, str], int] = {}
        self._wake = trio.Event()
        #: Serialises handler changes: each checks, stores and installs without another in between.
        self._handler_lock = trio.Lock()
        self.stats = {"collected": 0, "dropped": 0, "handler_errors": 0}
        #: Failures repeated per event: the first few per handler and error, then a count.
        self.limiter = LogLimiter(lambda: int(trio.current_time() * 1e9))
        #: ServerInfo for alert templates.
        self.hostname = "localhost"
        self.cluster_id = ""
        self.server_id = ""
        registry.load_all()

    # ------------------------------------------------------------------ lifecycle
    async def run(self, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        """Load state, then run handler workers and the state writer until cancelled."""
        await self.load()
        client = None
        if self.env.http_client is None:
            import httpx

            client = self.env.http_client = httpx.AsyncClient(timeout=30.0)
        self.env.plain_http = PlainHTTPClient(self.env.http_client.headers)
        try:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                for runner in self._pending:
                    nursery.start_soon(runner.work)
                self._pending.clear()
                nursery.start_soon(self._persist_loop)
                task_status.started(self)
        finally:
            self._nursery = None
            with trio.CancelScope(shield=True):
                with trio.move_on_after(10):
                    await self.flush()
                    await self.env.plain_http.aclose()
                    self.env.plain_http = None
                    if client is not None:
                        self.env.http_client = None
                        await client.aclose()

    def _start(self, runner: HandlerRunner) -> None:
        if self._nursery is not None:
            self._nursery.start_soon(runner.work)
        else:
            self._pending.append(runner)

    def _handler_log(self, level: str, message: str, **kv: Any) -> None:
        if level == "error":
            self.stats["handler_errors"] += 1
            error = re.sub(r"\d+", "0", str(kv.get("error", "")))[:120]
            key = f"{kv.get('handler', '')}\x00{message}\x00{error}"
            write, held, sample = self.limiter.check(key, str(kv.get("error", "")))
            if held:
                text = summary_text(held, self.limiter.interval_ns)
                _log.error(text, handler=kv.get("handler", ""), last=sample)
            if write:
                _log.error(message, **kv)
        else:
            _log.info(message, **kv)

    async def wait_idle(self) -> None:
        """Return once every handler has delivered everything queued so far (tests, shutdown)."""
        while True:
            self._progress = trio.Event()
            self._detached = [r for r in self._detached if r.pending]
            runners = [r for t in list(self.topics.values()) for r in t.all_runners()]
            if not any(r.pending for r in runners + self._detached):
                return
            await self._progress.wait()

    def _delivered(self) -> None:
        self._progress.set()

    # ------------------------------------------------------------------ topics
    def topic(self, topic_id: str) -> Topic:
        """The topic, created on first use."""
        t = self.topics.get(topic_id)
        if t is None:
            t = self.topics[topic_id] = Topic(topic_id)
        return t

    def anonymous_topic(self, task_id: str, node_name: str, task_master: str = "") -> str:
        """The anonymous topic of an alert node: `<kapacitorID>:<taskID>:<node>`; a replay's
        task master id (the replay's id) takes the place of the server's own."""
        return f"{task_master or self.kapacitor_id}:{task_id}:{node_name}"

    def event_state(self, topic_id: str, event_id: str) -> EventState | None:
        """The last known state of one event, if the topic has it."""
        t = self.topics.get(topic_id)
        return None if t is None else t.events.get(event_id)

    def handle_event(self, topic_id: str, event: Event) -> bool:
        """Collect an event into a topic and queue it for the topic's handlers.

        Returns False when some handler's buffer was full and the event was dropped for it.
        """
        t = self.topic(topic_id)
        if event.topic != topic_id:
            event = event.copy_to(topic_id)
        prev = t.events.get(event.state.id)
        if prev is not None:
            event.previous_level = prev.level
        t.events[event.state.id] = event.state
        t.collected += 1
        self.stats["collected"] += 1
        self._mark_dirty(topic_id, event.state.id)
        self.feeds.publish(topic_id, event)
        ok = True
        for runner in t.all_runners():
            if not runner.offer(event):
                ok = False
                self.stats["dropped"] += 1
                _log.error(
                    f'failed to deliver event "{event.state.id}" to handler',
                    handler=runner.id,
                    topic=topic_id,
                )
        return ok

    def needs_every_event(self, topic_id: str) -> bool:
        """True when a handler or a feed would see each event of this topic (not just its last
        state per ID); else `collect_last` may stand in for a run of `handle_event` calls."""
        t = self.topics.get(topic_id)
        if t is not None and (t.anon or t.handlers):
            return True
        return self.feeds.wants(topic_id)

    def collect_last(self, topic_id: str, last: list[Event], count: int) -> None:
        """What `count` events given to `handle_event` in turn leave behind, when nobody but the
        topic sees them (`needs_every_event` is False): `last` holds each ID's last event, in the
        order the IDs first appeared."""
        t = self.topic(topic_id)
        for event in last:
            t.events[event.state.id] = event.state
            self._mark_dirty(topic_id, event.state.id)
        t.collected += count
        self.stats["collected"] += count

    def list_topics(self, min_level: int = levels.OK, pattern: str = "*") -> list[Topic]:
        out = [
            t
            for tid, t in sorted(self.topics.items())
            if t.level >= min_level and glob_match(pattern or "*", tid)
        ]
        return out

    def get_topic(self, topic_id: str) -> Topic:
        t = self.topics.get(topic_id)
        if t is None:
            raise NotFound(f"topic {topic_id!r} does not exist")
        return t

    async def delete_topic(self, topic_id: str) -> None:
        """Forget a topic's events and state (handlers stay configured)."""
        t = self.topics.get(topic_id)
        if t is None:
            raise NotFound(f"topic {topic_id!r} does not exist")
        t.events.clear()
        t.collected = 0
        if not t.handlers and not t.anon:
            del self.topics[topic_id]
        for key in [k for k in self._dirty if k[0] == topic_id]:
            del self._dirty[key]
        if self.store is not None:
            # Matched by prefix, not the store's glob: a topic id like `*` (from an old
            # `.topic('*')`) must not reach every other topic's events.
            prefix = f"{topic_id}/"
            ids = [i for i in await self.store.ids(EVENTS_KIND) if i.startswith(prefix)]
            if ids:
                async with self.store.transaction() as tx:
                    for doc_id in ids:
                        await tx.delete(EVENTS_KIND, doc_id)

    async def forget_task(self, task_id: str) -> None:
        """A task was deleted: delete its alert nodes' anonymous topics (Kapacitor does the same)."""
        prefix = f"{self.kapacitor_id}:{task_id}:"
        for tid in [t for t in self.topics if t.startswith(prefix)]:
            await self.delete_topic(tid)

    def events(self, topic_id: str, min_level: int = levels.OK) -> list[EventState]:
        t = self.get_topic(topic_id)
        return [s for _, s in sorted(t.events.items()) if s.level >= min_level]

    def event(self, topic_id: str, event_id: str) -> EventState:
        t = self.get_topic(topic_id)
        s = t.events.get(event_id)
        if s is None:
            raise NotFound(f"event {event_id!r} does not exist for topic {topic_id!r}")
        return s

    # ------------------------------------------------------------------ inline (task) handlers
    def attach_task_handlers(self, topic_id: str, handlers: list[Handler]) -> list[HandlerRunner]:
        """Attach a task's inline handlers to its anonymous topic; returns a token for detaching."""
        t = self.topic(topic_id)
        runners = []
        for i, h in enumerate(handlers):
            r = HandlerRunner(
                f"{topic_id}#{i}", h, None, self.buffer, self.env.log, self._delivered
            )
            t.anon.append(r)
            runners.append(r)
            self._start(r)
        return runners

    def detach_task_handlers(self, topic_id: str, runners: list[HandlerRunner]) -> None:
        """Detach inline handlers (the task stopped); queued events are still delivered."""
        t = self.topics.get(topic_id)
        for r in runners:
            if t is not None and r in t.anon:
                t.anon.remove(r)
            r.close()
            self._detached.append(r)
            if r in self._pending:
                self._pending.remove(r)

    def delivery_marks(self, task_id: str) -> list[tuple[HandlerRunner, int]]:
        """(runner, events it accepted so far) for every runner a task's events may be waiting
        in: its inline handlers (detached ones included) and every topic handler."""
        prefix = f"{self.kapacitor_id}:{task_id}:"
        runners = [r for t in list(self.topics.values()) for r in t.handlers.values()]
        runners += [
            r for t in list(self.topics.values()) for r in t.anon if r.id.startswith(prefix)
        ]
        runners += [r for r in self._detached if r.id.startswith(prefix)]
        return [(r, r.offered) for r in runners]

    def global_handlers(self, explicit: set[str]) -> tuple[list[Handler], bool]:
        """Default handlers of services configured `global`, for kinds the node does not use.

        Returns the handlers and whether one of those services forces stateChangesOnly.
        """
        used = {registry.kind_for_tick(k) or k for k in explicit}
        handlers: list[Handler] = []
        force_sco = False
        for kind in sorted(registry.KINDS):
            name = registry.section_of(kind)
            if name is None:
                continue
            sec = pick_section(self.env.section(name), "", "")
            if sec is None or not section_field(sec, "global_", False):
                continue
            if not section_field(sec, "enabled", False):
                continue
            if section_field(sec, "state_changes_only", False):
                force_sco = True
            if kind in used:
                continue
            try:
                handlers.append(registry.build(kind, {}, self.env))
            except HandlerOptionError as exc:
                _log.error("cannot create global handler", kind=kind, error=str(exc))
        return handlers, force_sco

    def build_inline(self, method: str, args: list[Any], props: dict[str, Any]) -> Handler:
        """Build a handler from a TICKscript handler call (HandlerOptionError when invalid)."""
        return registry.build_from_tick(method, args, props, self.env)

    # ------------------------------------------------------------------ API handlers
    def _validate_spec(self, topic_id: str, spec: Any) -> tuple[dict[str, Any], Handler, Any]:
        if not isinstance(spec, dict):
            raise AlertServiceError("invalid handler spec: expected a JSON object")
        hid = spec.get("id", "")
        kind = spec.get("kind", "")
        options = spec.get("options") or {}
        match_text = spec.get("match", "") or ""
        if not isinstance(hid, str) or not hid:
            raise AlertServiceError("handler must have an ID")
        if not HANDLER_ID_RE.match(hid):
            raise AlertServiceError(
                f"handler ID must contain only letters, numbers, '-', '.' and '_'. {hid!r}"
            )
        if not isinstance(kind, str) or not kind:
            raise AlertServiceError("handler must have a kind")
        if not isinstance(match_text, str):
            raise AlertServiceError("match must be a string")
        if not TOPIC_ID_RE.match(topic_id):
            raise AlertServiceError(
                f"topic ID must contain only letters, numbers, '-', '.', ':' and '_'. {topic_id!r}"
            )
        try:
            handler = registry.build(kind, options, self.env)
            match = compile_match(match_text)
        except (HandlerOptionError, MatchError) as exc:
            raise AlertServiceError(str(exc)) from None
        except (TypeError, ValueError, AttributeError) as exc:  # a malformed option nobody checked
            raise AlertServiceError(f"invalid options for handler kind {kind!r}: {exc}") from None
        doc = {"id": hid, "topic": topic_id, "kind": kind, "options": options, "match": match_text}
        return doc, handler, match

    def _install(self, topic_id: str, doc: dict[str, Any], handler: Handler, match: Any) -> None:
        t = self.topic(topic_id)
        old = t.handlers.pop(doc["id"], None)
        if old is not None:
            old.close()
        r = HandlerRunner(doc["id"], handler, match, self.buffer, self.env.log, self._delivered)
        r.spec = doc
        t.handlers[doc["id"]] = r
        self._start(r)

    async def create_handler(self, topic_id: str, spec: Any) -> dict[str, Any]:
        doc, handler, match = self._validate_spec(topic_id, spec)
        async with self._handler_lock:
            self._check_free(topic_id, doc["id"])
            await self._save_handler(topic_id, doc)
            self._install(topic_id, doc, handler, match)
        return doc

    async def replace_handler(self, topic_id: str, handler_id: str, spec: Any) -> dict[str, Any]:
        async with self._handler_lock:
            return await self._replace(topic_id, handler_id, spec)

    async def _replace(self, topic_id: str, handler_id: str, spec: Any) -> dict[str, Any]:
        self.get_handler(topic_id, handler_id)
        doc, handler, match = self._validate_spec(topic_id, spec)
        if doc["id"] == handler_id:
            await self._save_handler(topic_id, doc)
        else:
            self._check_free(topic_id, doc["id"])
            await self._rename_stored(topic_id, handler_id, doc)
            self.topics[topic_id].handlers.pop(handler_id).close()
        self._install(topic_id, doc, handler, match)
        return doc

    async def patch_handler(self, topic_id: str, handler_id: str, patch: Any) -> dict[str, Any]:
        import jsonpatch

        if not isinstance(patch, list):
            raise AlertServiceError("failed to apply patch: a JSON patch must be a JSON array")
        async with self._handler_lock:
            current = self.get_handler(topic_id, handler_id)
            base = {k: v for k, v in current.items() if k != "topic"}
            try:
                new = jsonpatch.apply_patch(base, patch)
            except (
                jsonpatch.JsonPatchException,
                jsonpatch.JsonPointerException,
                TypeError,
                AttributeError,
                KeyError,
                IndexError,
                ValueError,
            ) as exc:
                raise AlertServiceError(f"failed to apply patch: {exc}") from None
            return await self._replace(topic_id, handler_id, new)

    async def delete_handler(self, topic_id: str, handler_id: str) -> None:
        async with self._handler_lock:
            t = self.topics.get(topic_id)
            if t is None or handler_id not in t.handlers:
                raise NotFound(f"handler {handler_id!r} does not exist for topic {topic_id!r}")
            if self.store is not None:
                await self.store.delete(HANDLERS_KIND, f"{topic_id}/{handler_id}")
            t.handlers.pop(handler_id).close()

    def apply_stored_handler(self, topic_id: str, handler_id: str, doc: Any) -> None:
        """Put a handler stored elsewhere (a cluster peer) in force here; None removes it."""
        if doc is None:
            t = self.topics.get(topic_id)
            if t is not None and handler_id in t.handlers:
                t.handlers.pop(handler_id).close()
            return
        try:
            spec, handler, match = self._validate_spec(topic_id, doc)
        except AlertServiceError as exc:
            _log.error(
                "stored handler is invalid", topic=topic_id, handler=handler_id, error=str(exc)
            )
            return
        self._install(topic_id, spec, handler, match)

    def apply_stored_event(self, topic_id: str, event_id: str, doc: Any) -> None:
        """An event state stored elsewhere (a cluster peer's task); None forgets it."""
        if doc is None:
            t = self.topics.get(topic_id)
            if t is not None:
                t.events.pop(event_id, None)
            return
        self.topic(topic_id).events[event_id] = EventState.from_doc(doc)

    def _check_free(self, topic_id: str, handler_id: str) -> None:
        t = self.topics.get(topic_id)
        if t is not None and handler_id in t.handlers:
            raise AlertServiceError(f"cannot create handler {handler_id!r}: handler already exists")

    async def _rename_stored(self, topic_id: str, old_id: str, doc: dict[str, Any]) -> None:
        """Delete the old handler document and store the new one in one transaction."""
        if self.store is None:
            return
        async with self.store.transaction() as tx:
            await tx.delete(HANDLERS_KIND, f"{topic_id}/{old_id}")
            await tx.put(HANDLERS_KIND, f"{topic_id}/{doc['id']}", doc)

    def get_handler(self, topic_id: str, handler_id: str) -> dict[str, Any]:
        t = self.topics.get(topic_id)
        if t is None or handler_id not in t.handlers:
            raise NotFound(f"handler {handler_id!r} does not exist for topic {topic_id!r}")
        return t.handlers[handler_id].spec

    def list_handlers(self, topic_id: str, pattern: str = "*") -> list[dict[str, Any]]:
        t = self.topics.get(topic_id)
        if t is None:
            return []
        return [r.spec for hid, r in sorted(t.handlers.items()) if glob_match(pattern or "*", hid)]

    async def _save_handler(self, topic_id: str, doc: dict[str, Any]) -> None:
        if self.store is not None:
            await self.store.put(HANDLERS_KIND, f"{topic_id}/{doc['id']}", doc)

    # ------------------------------------------------------------------ inhibitors
    def add_inhibitor(self, inh: Inhibitor) -> None:
        self.inhibitors.append(inh)

    def remove_inhibitor(self, inh: Inhibitor) -> None:
        if inh in self.inhibitors:
            self.inhibitors.remove(inh)

    def is_inhibited(self, category: str, tags: dict[str, str]) -> bool:
        """True when an active inhibitor of `category` matches these tags."""
        for inh in self.inhibitors:
            if inh.active and inh.category == category and inh.matches(tags):
                return True
        return False

    # ------------------------------------------------------------------ feeds
    def subscribe(self, topic_id: str | None, capacity: int = 1000) -> trio.MemoryReceiveChannel:
        """A channel of event changes for one topic (or all topics when None), current events first."""
        return self.feeds.subscribe(self.topics, topic_id, capacity)

    def unsubscribe(self, recv: trio.MemoryReceiveChannel) -> None:
        recv.close()

    # ------------------------------------------------------------------ persistence
    def _mark_dirty(self, topic_id: str, event_id: str) -> None:
        if self.store is None:
            return
        key = (topic_id, event_id)
        self._dirty[key] = self._dirty.get(key, 0) + 1
        self._wake.set()

    async def _persist_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake = trio.Event()
            await self.flush()
            await trio.sleep(0.05)

    async def flush(self) -> None:
        """Write every changed event state to the store, in transactions of up to FLUSH_BATCH.

        An event stays marked until its write has committed, so a write cut short by cancellation
        is redone by the final flush at shutdown; a change made during the write marks it again.
        """
        if self.store is None:
            return
        while self._dirty:
            batch = list(itertools.islice(self._dirty.items(), FLUSH_BATCH))
            try:  # one trip to the store's thread: the event loop hands over work once
                await self.store.put_many(EVENTS_KIND, self._docs(batch))
            except Exception as exc:  # storage failure: keep running, retry on the next change
                _log.error("failed to store alert event states", error=str(exc))
                return
            for key, version in batch:
                if self._dirty.get(key) == version:
                    del self._dirty[key]

    def _docs(self, batch: list[tuple[tuple[str, str], int]]) -> list[tuple[str, Any]]:
        """The stored documents of some marked event states (those still known)."""
        docs = []
        for (tid, eid), _ in batch:
            t = self.topics.get(tid)
            state = t.events.get(eid) if t is not None else None
            if state is not None:
                docs.append((f"{tid}/{eid}", {"topic": tid, **state.to_doc()}))
        return docs

    async def load(self) -> None:
        """Restore topic states and API handlers from the store."""
        if self.store is None:
            return
        for doc in await self.store.list(EVENTS_KIND):
            self.topic(doc["topic"]).events[doc["id"]] = EventState.from_doc(doc)
        for doc in await self.store.list(HANDLERS_KIND):
            topic_id = doc.get("topic", "")
            try:
                spec, handler, match = self._validate_spec(topic_id, doc)
            except AlertServiceError as exc:
                _log.error(
                    "stored handler is invalid",
                    topic=topic_id,
                    handler=doc.get("id"),
                    error=str(exc),
                )
                continue
            self._install(topic_id, spec, handler, match)
