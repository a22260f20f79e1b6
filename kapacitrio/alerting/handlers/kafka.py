"""The `kafka` handler: the alert (or a rendered template) written to a Kafka topic."""

from __future__ import annotations

from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import define
from kapacitrio.alerting.handlers.base import HandlerEnv, HandlerFailed
from kapacitrio.alerting.handlers.kind import Call, Ctx, Kind, Tick
from kapacitrio.alerting.handlers.options import BOOL, Opt, Table, Values

TABLE = Table(
    "*kafka.HandlerConfig",
    (
        Opt("cluster"),
        Opt("topic", templated=True, tick="kafkaTopic"),
        Opt("template", templated=True),
        Opt("disablePartitionById", BOOL),
        Opt("partition-algorithm", tick="partitionHashAlgorithm"),
    ),
)


def request(o: Values, event: Event, ctx: Ctx) -> Call:
    async def fail(env: HandlerEnv) -> None:
        raise HandlerFailed("kafka: not supported by this server (no Kafka client available)")

    return Call(fail)


define(Kind("kafka", TABLE, request, Tick("kafka", "KafkaHandler")))
