"""The `aggregate` handler: collects events and, every interval, publishes one summary event."""

from __future__ import annotations

from typing import Any

import trio

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event, EventData, EventState
from kapacitrio.alerting.handlers import register
from kapacitrio.alerting.handlers.base import (
    Handler,
    HandlerEnv,
    HandlerOptionError,
    compile_template,
    opt_duration,
    opt_str,
)
from kapacitrio.tick.gotemplate import GoDuration, TemplateError

DEFAULT_MESSAGE = "Received {{ .Count }} events in the last {{.Interval}}."


class AggregateHandler(Handler):
    external = False

    def __init__(self, options: dict[str, Any], env: HandlerEnv) -> None:
        self.env = env
        self.id = opt_str(options, "id")
        self.topic = opt_str(options, "topic")
        self.interval = opt_duration(options, "interval")
        if not self.id:
            raise HandlerOptionError("aggregate handler requires an id")
        if not self.topic:
            raise HandlerOptionError("aggregate handler requires a topic")
        if self.interval <= 0:
            raise HandlerOptionError("aggregate interval must be greater than 0")
        self.message = compile_template(opt_str(options, "message") or DEFAULT_MESSAGE, "message")
        self.events: list[Event] = []

    async def handle(self, event: Event) -> None:
        self.events.append(event)

    async def run(self) -> None:
        while True:
            await trio.sleep(self.interval / 1e9)
            self.flush()

    def flush(self) -> None:
        """Publish the summary of what was collected since the last flush (nothing when empty)."""
        if not self.events or self.env.service is None:
            return
        events, self.events = self.events, []
        try:
            message = self.message.render(
                {"Count": len(events), "Interval": GoDuration(self.interval)}
            )
        except TemplateError as exc:
            self.env.log("error", "aggregate message failed", error=str(exc))
            return
        series: list[Any] = []
        for e in events:
            series.extend((e.data.result or {}).get("series") or [])
        state = EventState(
            self.id,
            message,
            "\n".join(e.state.message for e in events),
            max(e.state.time for e in events),
            max(e.state.duration for e in events),
            max((e.state.level for e in events), default=levels.OK),
        )
        data = EventData(result={"series": series or None})
        self.env.service.handle_event(self.topic, Event(self.topic, state, data))


register("aggregate", AggregateHandler, lambda args, props: dict(props))
