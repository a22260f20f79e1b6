"""The `kafka` handler: the alert JSON (or a rendered template) written to a topic of a cluster.

Each handler owns one kafka-python producer for its `[[kafka]]` cluster. The library runs its
own I/O thread; we only call it from Trio worker threads, and the handler's `run` (a task of
the alert service's nursery while the handler is attached) collects acknowledgements and closes
the producer when it is cancelled. Messages are keyed by the event ID and placed on a partition
by a hash of the key, as Kapacitor does (crc32 by default; murmur2 or fnv-1a on request).
"""

from __future__ import annotations

import random
import ssl
import zlib
from dataclasses import dataclass
from typing import Any

import trio

from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import define
from kapacitrio.alerting.handlers.base import HandlerEnv, HandlerFailed, HandlerOptionError
from kapacitrio.alerting.handlers.base import section_field as field_of
from kapacitrio.alerting.handlers.kind import Ctx, Kind, TableHandler, Tick, config_section
from kapacitrio.alerting.handlers.options import BOOL, Opt, Table, Values
from kapacitrio.alerting.handlers.post import _template_data
from kapacitrio.config import duration_ns
from kapacitrio.tlsclient import client_context

ALGORITHMS = ("", "crc32", "murmur2", "fnv-1a")
MECHANISMS = ("", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
MAX_BATCH_BYTES = 1 << 20
CLOSE_TIMEOUT = 2.0  # seconds a detached handler's producer gets to deliver what it holds


def _validate(cfg: Any) -> None:
    for key in ("timeout", "batch_timeout"):
        duration_ns(getattr(cfg, key) or "0s")
    if cfg.batch_size < 0:
        raise ValueError("batch-size must not be negative")
    if cfg.compression not in ("none", "gzip"):
        raise ValueError(f"invalid compression {cfg.compression!r}: use none or gzip")
    if cfg.sasl_mechanism not in MECHANISMS:
        raise ValueError(f"unsupported sasl-mechanism {cfg.sasl_mechanism!r}")
    if cfg.enabled and not cfg.id:
        raise ValueError("id must not be empty")
    if cfg.enabled and not cfg.brokers:
        raise ValueError("no brokers specified, must provide at least one broker URL")


KafkaConfig = config_section(
    "kafka",
    "KafkaConfig",
    "`[[kafka]]`: one Kafka cluster alerts can be written to.",
    {
        "enabled": False,
        "id": "default",
        "brokers": [],
        "timeout": "10s",
        "batch_size": 100,
        "batch_timeout": "1s",
        "use_ssl": False,
        "ssl_ca": "",
        "ssl_cert": "",
        "ssl_key": "",
        "insecure_skip_verify": False,
        "sasl_username": "",
        "sasl_password": "",
        "sasl_mechanism": "",
        "sasl_version": "",
        "compression": "none",
    },
    many=True,
    secrets=("sasl_password",),
    element_key="id",
    validate=_validate,
)


def _algorithm(value: str) -> str:
    if value not in ALGORITHMS:
        raise ValueError(f"invalid partition algorithm {value!r}: use crc32, murmur2 or fnv-1a")
    return value


TABLE = Table(
    "*kafka.HandlerConfig",
    (
        Opt("cluster"),
        Opt("topic", templated=True, tick="kafkaTopic"),
        Opt("template", templated=True),
        Opt("disablePartitionById", BOOL),
        Opt("partition-algorithm", tick="partitionHashAlgorithm", convert=_algorithm),
    ),
)


# ---------------------------------------------------------------- partitioning (as Kapacitor)


def murmur2(data: bytes) -> int:
    """The Java client's murmur2 hash (as kafka-go and Kapacitor compute it)."""
    m, mask = 0x5BD1E995, 0xFFFFFFFF
    length = len(data)
    h = (0x9747B28C ^ length) & mask
    for i in range(0, length - length % 4, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = (k * m) & mask
        k ^= k >> 24
        k = (k * m) & mask
        h = ((h * m) & mask) ^ k
    tail = length & ~3
    extra = length % 4
    if extra >= 3:
        h ^= data[tail + 2] << 16
    if extra >= 2:
        h ^= data[tail + 1] << 8
    if extra >= 1:
        h ^= data[tail]
        h = (h * m) & mask
    h ^= h >> 13
    h = (h * m) & mask
    return h ^ (h >> 15)


def fnv1a(data: bytes) -> int:
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def partition_for(key: bytes | None, count: int, algorithm: str = "") -> int:
    """The partition Kapacitor's partitioner picks for `key` among `count` (random: no key)."""
    if not key:
        if key is None or algorithm in ("", "crc32"):
            return random.randrange(count)
    if algorithm == "murmur2":
        return (murmur2(key) & 0x7FFFFFFF) % count
    if algorithm == "fnv-1a":  # sarama's hash partitioner: signed 32-bit remainder, made positive
        h = fnv1a(key)
        return abs(h - (1 << 32) if h & 0x80000000 else h) % count
    return (zlib.crc32(key) % count) & 0x7FFFFFFF


# ---------------------------------------------------------------- producer


def _ssl_context(sec: Any) -> ssl.SSLContext:
    return client_context(
        field_of(sec, "ssl_ca", ""),
        field_of(sec, "ssl_cert", ""),
        field_of(sec, "ssl_key", ""),
        bool(field_of(sec, "insecure_skip_verify", False)),
    )


def producer_options(sec: Any, algorithm: str) -> dict[str, Any]:
    """kafka-python producer settings for a `[[kafka]]` section."""
    timeout_ms = duration_ns(field_of(sec, "timeout", "10s") or "10s") // 1_000_000 or 10_000
    linger_ms = duration_ns(field_of(sec, "batch_timeout", "1s") or "1s") // 1_000_000 or 1000
    opts: dict[str, Any] = {
        "bootstrap_servers": list(field_of(sec, "brokers", []) or []),
        "client_id": "kapacitor",
        "acks": 1,
        "linger_ms": linger_ms,
        "batch_size": MAX_BATCH_BYTES,
        "request_timeout_ms": timeout_ms,
        "max_block_ms": timeout_ms,
        "bootstrap_timeout_ms": timeout_ms,
        "reconnect_backoff_max_ms": min(timeout_ms, 1000),
        "delivery_timeout_ms": linger_ms + 2 * timeout_ms,
        "enable_idempotence": False,
        "partitioner": _partitioner(algorithm),
    }
    if field_of(sec, "compression", "none") == "gzip":
        opts["compression_type"] = "gzip"
    use_ssl = field_of(sec, "use_ssl", False)
    user = field_of(sec, "sasl_username", "")
    if use_ssl:
        opts["ssl_context"] = _ssl_context(sec)
    if user:
        opts["security_protocol"] = "SASL_SSL" if use_ssl else "SASL_PLAINTEXT"
        opts["sasl_mechanism"] = field_of(sec, "sasl_mechanism", "") or "PLAIN"
        opts["sasl_plain_username"] = user
        opts["sasl_plain_password"] = field_of(sec, "sasl_password", "")
    elif use_ssl:
        opts["security_protocol"] = "SSL"
    return opts


def _partitioner(algorithm: str) -> Any:
    """A kafka-python partitioner placing keys as Kapacitor does."""
    from kafka.partitioner import Partitioner

    class KapacitorPartitioner(Partitioner):
        def partition(self, topic, key, serialized_key, value, serialized_value, cluster):  # noqa: ANN001,ANN201 - the library's signature
            partitions = sorted(cluster.partitions_for_topic(topic) or [])
            if not partitions:
                raise ValueError(f"topic {topic} has no partitions")
            return partitions[partition_for(serialized_key, len(partitions), algorithm)]

    return KapacitorPartitioner()


@dataclass
class Message:
    """One message for one topic of the handler's cluster (sent by KafkaHandler's producer)."""

    topic: str
    key: bytes | None
    value: bytes


def request(o: Values, event: Event, ctx: Ctx) -> Message:
    data = _template_data(event)
    topic = o.render("topic", data)
    if not topic:
        raise HandlerFailed("kafka: no topic")
    value = o.render("template", data) if o["template"] else event.alert_text()
    key = None if o["disablePartitionById"] else event.state.id.encode()
    return Message(topic, key, value.encode())


def cluster_section(env: HandlerEnv, name: str) -> Any:
    """The enabled `[[kafka]]` element with `id` = name, or None."""
    sections = env.section("kafka") or []
    for s in sections if isinstance(sections, list) else [sections]:
        if field_of(s, "id", "") == name and field_of(s, "enabled", False):
            return s
    return None


def _check(o: Values, env: HandlerEnv) -> None:
    if env.config is not None and cluster_section(env, o["cluster"]) is None:
        raise HandlerOptionError(f'unknown cluster "{o["cluster"]}"')


class KafkaHandler(TableHandler):
    """Writes events through its own producer; acknowledgements are awaited by `run`."""

    def __init__(self, kind: Kind, values: Values, env: HandlerEnv) -> None:
        super().__init__(kind, values, env)
        self._producer: Any = None
        self._section: Any = None
        self._unflushed = 0
        self._lock = trio.Lock()
        self._acks_send, self._acks = trio.open_memory_channel[Any](10_000)

    async def handle(self, event: Event) -> None:
        message = request(self.values, event, Ctx(self.env))
        producer, sec = await self._current()
        try:
            future = await trio.to_thread.run_sync(
                lambda: producer.send(message.topic, value=message.value, key=message.key)
            )
        except Exception as exc:  # the library's errors (timeouts, broker refusals)
            raise HandlerFailed(f"failed to write message to kafka: {exc}") from None
        await self._acks_send.send((future, event.state.id))
        self._unflushed += 1
        if self._unflushed >= (field_of(sec, "batch_size", 100) or 100):
            self._unflushed = 0
            await trio.to_thread.run_sync(producer.flush)

    async def _current(self) -> tuple[Any, Any]:
        """The producer for the cluster's current config (rebuilt when the config changed)."""
        async with self._lock:
            sec = cluster_section(self.env, self.values["cluster"])
            if sec is None:
                raise HandlerFailed(f'unknown cluster "{self.values["cluster"]}"')
            if self._producer is None or sec is not self._section:
                old, self._producer = self._producer, None
                if old is not None:
                    await trio.to_thread.run_sync(old.close, CLOSE_TIMEOUT)
                opts = producer_options(sec, self.values["partition-algorithm"])
                self._producer = await trio.to_thread.run_sync(_new_producer, opts)
                self._section = sec
            return self._producer, sec

    async def run(self) -> None:
        try:
            async for future, event_id in self._acks:
                try:
                    await trio.to_thread.run_sync(future.get)
                except Exception as exc:
                    self.env.log(
                        "error",
                        "failed to write message to kafka",
                        event_id=event_id,
                        error=str(exc),
                    )
        finally:
            with trio.CancelScope(shield=True):
                producer, self._producer = self._producer, None
                if producer is not None:
                    await trio.to_thread.run_sync(producer.close, CLOSE_TIMEOUT)


def _new_producer(opts: dict[str, Any]) -> Any:
    from kafka import KafkaProducer
    from kafka.errors import KafkaError

    try:
        return KafkaProducer(**opts)
    except KafkaError as exc:
        raise HandlerFailed(
            f"kafka: cannot connect to {opts['bootstrap_servers']}: {exc}"
        ) from None


define(
    Kind(
        "kafka",
        TABLE,
        request,
        Tick("kafka", "KafkaHandler"),
        check=_check,
        handler=KafkaHandler,
    )
)


async def service_test(env: HandlerEnv, options: dict[str, Any]) -> tuple[bool, str]:
    """`/service-tests/kafka`: write one message (key, message) to a topic of a cluster."""
    name = str(options.get("cluster", ""))
    sec = cluster_section(env, name)
    if sec is None:
        return False, f'unknown cluster "{name}"'
    producer = None
    try:
        opts = producer_options(sec, "")
        producer = await trio.to_thread.run_sync(_new_producer, opts)
        key, value = str(options.get("key", "")).encode(), str(options.get("message", "")).encode()
        future = await trio.to_thread.run_sync(
            lambda: producer.send(str(options.get("topic", "")), value=value, key=key)
        )
        await trio.to_thread.run_sync(future.get)
    except Exception as exc:
        return False, str(exc) or type(exc).__name__
    finally:
        if producer is not None:
            with trio.CancelScope(shield=True):
                await trio.to_thread.run_sync(producer.close, CLOSE_TIMEOUT)
    return True, ""
