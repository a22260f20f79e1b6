"""The `publish` handler: re-collects each event into other topics."""

from __future__ import annotations

from typing import Any

from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import register
from kapacitrio.alerting.handlers.base import Handler, HandlerEnv, HandlerOptionError, opt_list


class PublishHandler(Handler):
    external = False

    def __init__(self, options: dict[str, Any], env: HandlerEnv) -> None:
        self.env = env
        self.topics = opt_list(options, "topics")
        if not self.topics:
            raise HandlerOptionError("publish handler requires at least one topic")

    async def handle(self, event: Event) -> None:
        service = self.env.service
        if service is None:
            return
        for topic in self.topics:
            service.handle_event(topic, event.copy_to(topic))


register("publish", PublishHandler, lambda args, props: {"topics": list(args)})
