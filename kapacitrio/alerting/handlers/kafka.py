"""The `kafka` handler kind: accepted in scripts and the API, but there is no Kafka client here."""

from __future__ import annotations

from typing import Any

from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import register
from kapacitrio.alerting.handlers.base import Handler, HandlerEnv, HandlerFailed, opt_str


class KafkaHandler(Handler):
    """Every event fails with a clear error (logged and counted) instead of being lost silently."""

    def __init__(self, options: dict[str, Any], env: HandlerEnv) -> None:
        self.cluster = opt_str(options, "cluster")
        self.topic = opt_str(options, "topic")
        self.template = opt_str(options, "template")

    async def handle(self, event: Event) -> None:
        raise HandlerFailed("kafka: not supported by this server (no Kafka client available)")


def _from_tick(args: list[Any], props: dict[str, Any]) -> dict[str, Any]:
    return {
        "cluster": props.get("cluster", ""),
        "topic": props.get("kafkaTopic", ""),
        "template": props.get("template", ""),
    }


register("kafka", KafkaHandler, _from_tick)
