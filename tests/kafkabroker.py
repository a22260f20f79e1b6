"""A one-node Kafka broker for tests, speaking the real wire protocol over loopback TCP.

It answers ApiVersions (v0, and the "unsupported version" answer that makes a client fall back
to v0), Metadata v0-v4 (every topic exists with `partitions` partitions, this node leads them)
SASL PLAIN (SaslHandshake v1, SaslAuthenticate v0; with `users` set, a connection must
authenticate before it may produce) and Produce v3 (record batches, magic 2, CRC-32C checked, gzip or uncompressed), and keeps every
record it accepted with its topic, partition, offset, key and value.
"""

from __future__ import annotations

import gzip
import struct
from dataclasses import dataclass, field
from typing import Any

import trio

API_PRODUCE, API_METADATA, API_VERSIONS = 0, 3, 18
API_SASL_HANDSHAKE, API_SASL_AUTHENTICATE = 17, 36
SUPPORTED = {API_PRODUCE: (3, 3), API_METADATA: (0, 4), API_VERSIONS: (0, 0)}
SUPPORTED.update({API_SASL_HANDSHAKE: (1, 1), API_SASL_AUTHENTICATE: (0, 0)})
UNSUPPORTED_VERSION = 35


def _crc32c_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C = _crc32c_table()


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for b in data:
        crc = _CRC32C[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


class Reader:
    """Big-endian Kafka primitive types read from one buffer."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ValueError("truncated Kafka message")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def int8(self) -> int:
        return struct.unpack(">b", self.take(1))[0]

    def int16(self) -> int:
        return struct.unpack(">h", self.take(2))[0]

    def int32(self) -> int:
        return struct.unpack(">i", self.take(4))[0]

    def int64(self) -> int:
        return struct.unpack(">q", self.take(8))[0]

    def string(self) -> str | None:
        n = self.int16()
        return None if n < 0 else self.take(n).decode()

    def bytes_(self) -> bytes | None:
        n = self.int32()
        return None if n < 0 else self.take(n)

    def varint(self) -> int:
        shift = value = 0
        while True:
            b = self.take(1)[0]
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return (value >> 1) ^ -(value & 1)  # zigzag
            shift += 7

    def array(self, item: Any) -> list[Any]:
        n = self.int32()
        return [] if n < 0 else [item() for _ in range(n)]


def _string(s: str | None) -> bytes:
    if s is None:
        return struct.pack(">h", -1)
    raw = s.encode()
    return struct.pack(">h", len(raw)) + raw


@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    compression: int
    batch: int


@dataclass
class KafkaBroker:
    """Serve with `await nursery.start(broker.serve)`; `records` fills as batches arrive."""

    partitions: int = 4
    port: int = 0
    records: list[Record] = field(default_factory=list)
    requests: list[tuple[int, int]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    users: dict[str, str] | None = None
    logins: list[tuple[str, str]] = field(default_factory=list)
    batches: int = 0
    arrived: trio.Event = field(default_factory=trio.Event)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def wait_for(self, n: int, timeout: float = 20.0) -> list[Record]:
        with trio.fail_after(timeout):
            while len(self.records) < n:
                self.arrived = trio.Event()
                await self.arrived.wait()
        return self.records

    async def serve(self, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        self.port = listeners[0].socket.getsockname()[1]
        task_status.started(self)
        await trio.serve_listeners(self._connection, listeners)

    async def _connection(self, stream: trio.SocketStream) -> None:
        buf = b""
        conn = {"user": None}
        try:
            async for data in stream:
                buf += data
                while len(buf) >= 4:
                    size = struct.unpack(">i", buf[:4])[0]
                    if len(buf) < 4 + size:
                        break
                    frame, buf = buf[4 : 4 + size], buf[4 + size :]
                    reply = self._handle(frame, conn)
                    if reply is not None:
                        await stream.send_all(struct.pack(">i", len(reply)) + reply)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            return
        except Exception as exc:  # a malformed request: remembered, connection dropped
            self.errors.append(f"{type(exc).__name__}: {exc}")

    def _handle(self, frame: bytes, conn: dict[str, Any]) -> bytes | None:
        r = Reader(frame)
        api, version, correlation = r.int16(), r.int16(), r.int32()
        self.requests.append((api, version))
        low, high = SUPPORTED.get(api, (0, -1))
        if api == API_VERSIONS:
            error = 0 if low <= version <= high else UNSUPPORTED_VERSION
            return struct.pack(">i", correlation) + self._api_versions(error)
        if not low <= version <= high:
            raise ValueError(f"unsupported request {api} v{version}")
        r.string()  # client id
        if api == API_SASL_HANDSHAKE:
            mechanism = r.string()
            error = 0 if mechanism == "PLAIN" else 33  # UNSUPPORTED_SASL_MECHANISM
            return struct.pack(">ihi", correlation, error, 1) + _string("PLAIN")
        if api == API_SASL_AUTHENTICATE:
            _, user, password = (r.bytes_() or b"").decode().split("\0")
            self.logins.append((user, password))
            ok = self.users is not None and self.users.get(user) == password
            if ok:
                conn["user"] = user
            error, message = (0, None) if ok else (58, "authentication failed")
            return struct.pack(">ih", correlation, error) + _string(message) + b"\0\0\0\0"
        if self.users is not None and conn["user"] is None:
            raise ValueError(f"request {api} before SASL authentication")
        if api == API_METADATA:
            return struct.pack(">i", correlation) + self._metadata(r, version)
        acks, body = self._produce(r)
        return None if acks == 0 else struct.pack(">i", correlation) + body

    @staticmethod
    def _api_versions(error: int) -> bytes:
        out = struct.pack(">hi", error, len(SUPPORTED))
        for api, (low, high) in sorted(SUPPORTED.items()):
            out += struct.pack(">hhh", api, low, high)
        return out

    def _metadata(self, r: Reader, version: int) -> bytes:
        topics = r.array(r.string)
        out = struct.pack(">i", 0) if version >= 3 else b""  # throttle time
        out += struct.pack(">i", 1) + struct.pack(">i", 0) + _string("127.0.0.1")
        out += struct.pack(">i", self.port)
        if version >= 1:
            out += _string(None)  # rack
        if version >= 2:
            out += _string("test-cluster")
        if version >= 1:
            out += struct.pack(">i", 0)  # controller id
        out += struct.pack(">i", len(topics))
        for name in topics:
            out += struct.pack(">h", 0) + _string(name)
            if version >= 1:
                out += b"\x00"  # not internal
            out += struct.pack(">i", self.partitions)
            for p in range(self.partitions):
                out += struct.pack(">hii", 0, p, 0) + struct.pack(">ii", 1, 0) * 2
        return out

    def _produce(self, r: Reader) -> tuple[int, bytes]:
        r.string()  # transactional id
        acks, _timeout = r.int16(), r.int32()
        answers = []
        for _ in range(r.int32()):
            topic = r.string() or ""
            parts = []
            for _ in range(r.int32()):
                partition, data = r.int32(), r.bytes_() or b""
                base = sum(1 for rec in self.records if rec.topic == topic)
                base_before = base
                for key, value, codec in self._records(data):
                    self.records.append(
                        Record(topic, partition, base, key, value, codec, self.batches)
                    )
                    base += 1
                self.batches += 1
                parts.append((partition, base_before))
            answers.append((topic, parts))
        self.arrived.set()
        out = struct.pack(">i", len(answers))
        for topic, parts in answers:
            out += _string(topic) + struct.pack(">i", len(parts))
            for partition, base in parts:
                out += struct.pack(">ihqq", partition, 0, base, -1)
        return acks, out + struct.pack(">i", 0)

    @staticmethod
    def _records(data: bytes) -> list[tuple[bytes | None, bytes | None, int]]:
        """Every record of the record batches in `data` (their CRC-32C checked)."""
        out = []
        r = Reader(data)
        while r.pos < len(data):
            r.int64()  # base offset
            length = r.int32()
            batch = Reader(r.take(length))
            batch.int32()  # leader epoch
            if batch.int8() != 2:
                raise ValueError("only record batches of magic 2 are accepted")
            crc = struct.unpack(">I", batch.take(4))[0]
            rest = batch.data[batch.pos :]
            if crc32c(rest) != crc:
                raise ValueError("record batch CRC-32C mismatch")
            attributes = batch.int16()
            batch.take(4 + 8 + 8 + 8 + 2 + 4)  # offset delta, timestamps, producer, sequence
            count = batch.int32()
            body = batch.data[batch.pos :]
            codec = attributes & 0x07
            if codec == 1:
                body = gzip.decompress(body)
            elif codec != 0:
                raise ValueError(f"compression codec {codec} not supported by the test broker")
            rec = Reader(body)
            for _ in range(count):
                rec.varint()  # length
                rec.int8()
                rec.varint()  # timestamp delta
                rec.varint()  # offset delta
                klen = rec.varint()
                key = None if klen < 0 else rec.take(klen)
                vlen = rec.varint()
                value = None if vlen < 0 else rec.take(vlen)
                for _ in range(rec.varint()):
                    rec.take(rec.varint())
                    rec.take(rec.varint())
                out.append((key, value, codec))
        return out
