"""A topic (events by ID, handlers), a handler's bounded delivery queue, and inhibitors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import trio

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event, EventState
from kapacitrio.alerting.handlers.base import Handler


class HandlerRunner:
    """Delivers a topic's events to one handler from a bounded queue, in order, off the hot path."""

    def __init__(
        self,
        id: str,
        handler: Handler,
        match: Callable[[Event], bool] | None,
        capacity: int,
        log: Callable[..., None],
        on_done: Callable[[], None] | None = None,
    ) -> None:
        self.id = id
        self.handler = handler
        self.match = match
        self.log = log
        self.spec: dict[str, Any] = {}
        self._send, self._recv = trio.open_memory_channel[Event](capacity)
        self.stats = {"delivered": 0, "errors": 0, "dropped": 0, "skipped": 0}
        self.done = trio.Event()
        self.pending = 0
        #: Events accepted and events finished (delivered, skipped or failed) so far: a waiter
        #: knows what was queued before a moment has been handled once `finished` reaches it.
        self.offered = 0
        self.finished = 0
        self.on_done = on_done

    def offer(self, event: Event) -> bool:
        """Queue an event; False (and counted) when the queue is full or closed."""
        try:
            self._send.send_nowait(event)
            self.pending += 1
            self.offered += 1
            return True
        except (trio.WouldBlock, trio.ClosedResourceError, trio.BrokenResourceError):
            self.stats["dropped"] += 1
            return False

    def close(self) -> None:
        """No more events; the worker finishes what is queued, then stops."""
        self._send.close()

    async def work(self) -> None:
        """Deliver queued events until closed; the handler's own background work runs alongside."""
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self.handler.run)
                async with self._recv:
                    async for event in self._recv:
                        try:
                            await self._deliver(event)
                        finally:
                            self.pending -= 1
                            self.finished += 1
                            if self.on_done is not None:
                                self.on_done()
                nursery.cancel_scope.cancel()
        finally:
            self.handler.close()
            self.done.set()

    async def _deliver(self, event: Event) -> None:
        if event.no_external and self.handler.external:
            self.stats["skipped"] += 1
            return
        if self.match is not None and not self.match(event):
            self.stats["skipped"] += 1
            return
        try:
            await self.handler.handle(event)
            self.stats["delivered"] += 1
        except Exception as exc:  # a failing receiver is logged and counted, never retried
            self.stats["errors"] += 1
            self.log(
                "error",
                "alert handler failed",
                handler=self.id,
                kind=getattr(
                    getattr(self.handler, "kind", None), "name", type(self.handler).__name__
                ),
                event_id=event.state.id,
                error=str(exc) or type(exc).__name__,
            )


class Topic:
    """A named collection of events and the handlers listening to it."""

    def __init__(self, id: str) -> None:
        self.id = id
        self.events: dict[str, EventState] = {}
        self.handlers: dict[str, HandlerRunner] = {}
        self.anon: list[HandlerRunner] = []
        self.collected = 0

    @property
    def level(self) -> int:
        """The highest level of the topic's events (OK when none)."""
        return max((s.level for s in self.events.values()), default=levels.OK)

    def all_runners(self) -> list[HandlerRunner]:
        return [*self.anon, *self.handlers.values()]


@dataclass(eq=False)
class Inhibitor:
    """An alert group's inhibition of `category` for alerts whose `equal` tags match its own."""

    category: str
    tags: dict[str, str]
    equal: list[str] = field(default_factory=list)
    active: bool = False

    def matches(self, tags: dict[str, str]) -> bool:
        return all(self.tags.get(k) == tags.get(k) for k in self.equal)
