"""The `aggregate` handler: collects events and, every interval, publishes one summary event."""

from __future__ import annotations

from typing import Any

import trio

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event, EventData, EventState
from kapacitrio.alerting.handlers import define
from kapacitrio.alerting.handlers.kind import Ctx, Kind, TableHandler
from kapacitrio.alerting.handlers.options import DURATION, Opt, Table, Values
from kapacitrio.tick.gotemplate import GoDuration, TemplateError

DEFAULT_MESSAGE = "Received {{ .Count }} events in the last {{.Interval}}."


def _required(what: str) -> Any:
    def check(value: str) -> str:
        if not value:
            raise ValueError(f"aggregate handler requires {what}")
        return value

    return check


def _interval(value: int) -> int:
    if value <= 0:
        raise ValueError("aggregate interval must be greater than 0")
    return value


TABLE = Table(
    "*alert.AggregateHandlerConfig",
    (
        Opt("id", convert=_required("an id")),
        Opt("topic", convert=_required("a topic")),
        Opt("interval", DURATION, convert=_interval),
        Opt("message", default=DEFAULT_MESSAGE, templated=True),
    ),
)


def summary(o: Values, events: list[Event]) -> Event:
    """The one event published for what was collected: Kapacitor marks it not recoverable."""
    message = o.templates["message"].render(
        {"Count": len(events), "Interval": GoDuration(o["interval"])}
    )
    series: list[Any] = []
    for e in events:
        series.extend((e.data.result or {}).get("series") or [])
    state = EventState(
        o["id"],
        message,
        "\n".join(e.state.message for e in events),
        max(e.state.time for e in events),
        max(e.state.duration for e in events),
        max((e.state.level for e in events), default=levels.OK),
    )
    data = EventData(result={"series": series or None}, recoverable=False)
    return Event(o["topic"], state, data)


def request(o: Values, event: Event, ctx: Ctx) -> None:
    return None  # events are collected by the handler and published by its timer


class AggregateHandler(TableHandler):
    """Collects events; every interval publishes their summary to the topic."""

    def __init__(self, kind: Kind, values: Values, env: Any) -> None:
        super().__init__(kind, values, env)
        self.events: list[Event] = []

    async def handle(self, event: Event) -> None:
        self.events.append(event)

    async def run(self) -> None:
        while True:
            await trio.sleep(self.values["interval"] / 1e9)
            self.flush()

    def flush(self) -> None:
        """Publish the summary of what was collected since the last flush (nothing when empty)."""
        if not self.events or self.env.service is None:
            return
        events, self.events = self.events, []
        try:
            event = summary(self.values, events)
        except TemplateError as exc:
            self.env.log("error", "aggregate message failed", error=str(exc))
            return
        self.env.service.handle_event(event.topic, event)


define(Kind("aggregate", TABLE, request, external=False, handler=AggregateHandler))
