"""The WebSocket feed's subscribers: event changes of one topic or of all, current events first."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import trio

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event, EventState
from kapacitrio.alerting.topic import Topic


class EventFeeds:
    """Subscribers, each a memory channel for one topic ID (or None: every topic). A subscriber
    that cannot keep up, or went away, is cut off (its channel closed) at the next event."""

    def __init__(self) -> None:
        self._subscribers: list[tuple[str | None, trio.MemorySendChannel]] = []

    def wants(self, topic_id: str) -> bool:
        """Whether some subscriber takes this topic's events."""
        return any(want is None or want == topic_id for want, _ in self._subscribers)

    def subscribe(
        self, topics: Mapping[str, Topic], topic_id: str | None, capacity: int
    ) -> trio.MemoryReceiveChannel:
        """A new subscriber's channel, holding the current events of its topics (as many as fit)."""
        send, recv = trio.open_memory_channel(max(capacity, 1))
        if topic_id is None:
            current = [topics[k] for k in sorted(topics)]
        else:
            current = [topics[topic_id]] if topic_id in topics else []
        for t in current:
            for eid in sorted(t.events):
                try:
                    send.send_nowait(feed_message(t.id, t.events[eid], None))
                except trio.WouldBlock:
                    break
        self._subscribers.append((topic_id, send))
        return recv

    def publish(self, topic_id: str, event: Event) -> None:
        """Hand one event change to every subscriber of its topic."""
        if not self._subscribers:
            return
        msg = None
        alive = []
        for want, send in self._subscribers:
            if want is None or want == topic_id:
                if msg is None:
                    msg = feed_message(topic_id, event.state, event.previous_level)
                try:
                    send.send_nowait(msg)
                except (trio.WouldBlock, trio.BrokenResourceError, trio.ClosedResourceError):
                    send.close()
                    continue
            alive.append((want, send))
        self._subscribers = alive


def feed_message(topic_id: str, state: EventState, previous_level: int | None) -> dict[str, Any]:
    """One feed message: the topic, the event ID and its state as the events API shows it."""
    msg = {"topic": topic_id, "id": state.id, "state": state.to_api()}
    if previous_level is not None:
        msg["previousLevel"] = levels.name(previous_level)
    return msg
