"""The kafka handler with the real kafka-python client against a local broker speaking the wire
protocol (tests/kafkabroker.py): keys, partitions, topic templates, gzip batches, config."""

from __future__ import annotations

import json
import zlib

import pytest

from kapacitrio.alerting import levels
from kapacitrio.alerting.handlers.base import HandlerOptionError
from kapacitrio.alerting.handlers.kafka import KafkaConfig, murmur2, partition_for
from kapacitrio.alerting.service import AlertServiceError
from tests.alerting.conftest import settle
from tests.alerting.test_handler_requests import HOW, deliver, kapacitor_event
from tests.kafkabroker import API_METADATA, API_PRODUCE, API_VERSIONS, KafkaBroker


@pytest.fixture
async def broker(nursery) -> KafkaBroker:
    return await nursery.start(KafkaBroker(partitions=4).serve)


def cluster(broker: KafkaBroker, **kw) -> KafkaConfig:
    defaults = {"enabled": True, "id": "default", "brokers": [broker.address]}
    defaults["batch_timeout"] = "10ms"
    defaults["timeout"] = "2s"
    return KafkaConfig(**{**defaults, **kw})


@pytest.mark.parametrize("how", HOW)
async def test_alert_json_keyed_by_event_id(service, sections, broker, how):
    sections["kafka"] = [cluster(broker)]
    event = kapacitor_event()
    await deliver(
        service, how, "        .kafka().cluster('default').kafkaTopic('test')", "kafka",
        {"cluster": "default", "topic": "test"}, event,
    )  # fmt: skip
    (rec,) = await broker.wait_for(1)
    assert (rec.topic, rec.offset, rec.key) == ("test", 0, b"id")
    assert rec.partition == zlib.crc32(b"id") % 4  # Kapacitor's default crc32 partitioner
    assert rec.value == event.alert_text().encode()
    assert rec.value.endswith(b"\n") and json.loads(rec.value)["id"] == "id"
    # the client negotiated versions with the broker, then asked for metadata and produced
    assert (API_VERSIONS, 0) in broker.requests and (API_PRODUCE, 3) in broker.requests
    assert any(api == API_METADATA for api, _ in broker.requests)
    assert broker.errors == []


async def test_template_topic_template_and_partition_algorithms(service, sections, broker):
    sections["kafka"] = [cluster(broker)]
    snippet = (
        "        .kafka().cluster('default').kafkaTopic('alerts-{{ .Level }}')"
        ".template('{{.Message}}').partitionHashAlgorithm('murmur2')"
    )
    events = [kapacitor_event(id=f"kapacitor/cpu/server{c}", message=f"m{c}") for c in "ABCD"]
    await deliver(service, "inline", snippet, "", {}, *events)
    recs = await broker.wait_for(4)
    assert sorted(r.value for r in recs) == [b"mA", b"mB", b"mC", b"mD"]
    assert {r.topic for r in recs} == {"alerts-CRITICAL"}
    for r in recs:
        assert r.partition == (murmur2(r.key) & 0x7FFFFFFF) % 4


async def test_disable_partition_by_id_sends_no_key(service, sections, broker):
    sections["kafka"] = [cluster(broker)]
    await deliver(
        service, "topic", "", "kafka",
        {"cluster": "default", "topic": "t", "disablePartitionById": True},
    )  # fmt: skip
    (rec,) = await broker.wait_for(1)
    assert rec.key is None and 0 <= rec.partition < 4


async def test_gzip_batch_of_batch_size_messages(service, sections, broker):
    sections["kafka"] = [cluster(broker, compression="gzip", batch_size=5, batch_timeout="1h")]
    events = [kapacitor_event(levels.WARNING, id="same", message="x" * 200) for _ in range(5)]
    await deliver(service, "topic", "", "kafka", {"cluster": "default", "topic": "t"}, *events)
    recs = await broker.wait_for(5)
    assert {r.compression for r in recs} == {1}  # gzip record batch
    assert len({r.batch for r in recs}) == 1  # all five in one batch: batch-size reached
    assert [r.offset for r in recs] == [0, 1, 2, 3, 4]
    assert {r.partition for r in recs} == {zlib.crc32(b"same") % 4}


async def test_unknown_cluster_is_refused_at_define_time(service, sections, broker):
    sections["kafka"] = [cluster(broker)]
    with pytest.raises(AlertServiceError, match='unknown cluster "other"'):
        await service.create_handler(
            "t", {"id": "k", "kind": "kafka", "options": {"cluster": "other", "topic": "t"}}
        )
    with pytest.raises(HandlerOptionError, match="invalid partition algorithm"):
        service.build_inline("kafka", [], {"cluster": "default", "partitionHashAlgorithm": "md5"})


async def test_unreachable_broker_fails_and_is_counted(service, sections):
    sections["kafka"] = [KafkaConfig(enabled=True, brokers=["127.0.0.1:1"], timeout="200ms")]
    runner = await deliver(service, "topic", "", "kafka", {"cluster": "default", "topic": "t"})
    await settle(service)
    assert runner.stats["errors"] == 1


def test_partitioners_match_kapacitors():
    assert partition_for(b"id", 4) == zlib.crc32(b"id") % 4
    # murmur2 as the Java client computes it (its test vectors, as signed 32-bit ints)
    vectors = {b"21": -973932308, b"foobar": -790332482, b"abc": 479470107}
    vectors[b"a-little-bit-long-string"] = -985981536
    for data, expected in vectors.items():
        assert murmur2(data) == expected % (1 << 32)
    assert partition_for(b"foobar", 7, "murmur2") == (-790332482 & 0x7FFFFFFF) % 7
    assert partition_for(b"k", 3, "fnv-1a") in range(3)
    assert {partition_for(None, 4) for _ in range(200)} == {0, 1, 2, 3}


def test_config_validation():
    with pytest.raises(ValueError, match="no brokers specified"):
        KafkaConfig(enabled=True).validate()
    with pytest.raises(ValueError, match="invalid compression"):
        KafkaConfig(compression="lz9").validate()


async def test_service_test_writes_one_message(service, sections, broker):
    from types import SimpleNamespace

    from kapacitrio.alerting.servicetests import TESTS

    sections["kafka"] = [cluster(broker, id="example")]
    defaults, fn = TESTS["kafka"]
    assert defaults == {
        "cluster": "example",
        "topic": "test",
        "key": "key",
        "message": "test kafka message",
    }
    assert await fn(SimpleNamespace(alerts=service), dict(defaults)) == (True, "")
    (rec,) = await broker.wait_for(1)
    assert (rec.topic, rec.key, rec.value) == ("test", b"key", b"test kafka message")
    ok, message = await fn(SimpleNamespace(alerts=service), {**defaults, "cluster": "nope"})
    assert (ok, message) == (False, 'unknown cluster "nope"')


async def test_sasl_plain_credentials_reach_the_broker(service, sections, nursery):
    broker = await nursery.start(KafkaBroker(users={"kapacitor": "s3cret"}).serve)
    sections["kafka"] = [
        cluster(broker, sasl_username="kapacitor", sasl_password="s3cret", sasl_mechanism="PLAIN")
    ]
    await deliver(service, "topic", "", "kafka", {"cluster": "default", "topic": "t"})
    (rec,) = await broker.wait_for(1)
    assert rec.key == b"id"
    assert ("kapacitor", "s3cret") in broker.logins and broker.errors == []


async def test_sasl_wrong_password_delivers_nothing(service, sections, nursery):
    broker = await nursery.start(KafkaBroker(users={"kapacitor": "s3cret"}).serve)
    sections["kafka"] = [cluster(broker, sasl_username="kapacitor", sasl_password="wrong")]
    runner = await deliver(service, "topic", "", "kafka", {"cluster": "default", "topic": "t"})
    assert runner.stats["errors"] == 1
    assert broker.records == [] and ("kapacitor", "wrong") in broker.logins
