"""Framing of UDF messages: each protobuf message preceded by its length as a varint."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from kapacitrio.udf import udf_pb2 as pb

if TYPE_CHECKING:  # not imported at run time: agents in the tests start faster without trio
    import trio

#: A response longer than this is refused (a corrupt or hostile stream, not a real message).
MAX_MESSAGE = 64 * 1024 * 1024


class WireError(Exception):
    """The stream does not hold well-formed messages."""


def varint(n: int) -> bytes:
    """`n` (>= 0) as a protobuf varint."""
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def frame(msg: Any) -> bytes:
    """One message with its length prefix."""
    body = msg.SerializeToString()
    return varint(len(body)) + body


class Decoder:
    """Splits a byte stream into messages of one type; feed it what arrives."""

    def __init__(self, cls: type = pb.Response) -> None:
        self.cls = cls
        self.buf = bytearray()

    def feed(self, data: bytes) -> list[Any]:
        """Append `data`; return every message now complete."""
        self.buf += data
        out = []
        pos = 0
        buf = self.buf
        while True:
            size, start = _read_varint(buf, pos)
            if size is None or start + size > len(buf):
                break
            msg = self.cls()
            try:
                msg.ParseFromString(bytes(buf[start : start + size]))
            except Exception as exc:  # DecodeError and friends
                raise WireError(f"invalid message: {exc}") from None
            out.append(msg)
            pos = start + size
        del buf[:pos]
        return out

    @property
    def pending(self) -> int:
        """Bytes of an incomplete message held back."""
        return len(self.buf)


def _read_varint(buf: bytearray, pos: int) -> tuple[int | None, int]:
    result = 0
    shift = 0
    i = pos
    while i < len(buf):
        b = buf[i]
        result |= (b & 0x7F) << shift
        i += 1
        if not b & 0x80:
            if result > MAX_MESSAGE:
                raise WireError(f"message of {result} bytes is too long")
            return result, i
        shift += 7
        if shift > 63:
            raise WireError("invalid message length")
    return None, pos


async def messages(
    stream: trio.abc.ReceiveStream, cls: type = pb.Response
) -> AsyncIterator[list[Any]]:
    """The messages read from `stream`, as lists of those that arrived together; ends at EOF.

    Raises `WireError` on a malformed stream or one that ends inside a message.
    """
    dec = Decoder(cls)
    while True:
        data = await stream.receive_some(65536)
        if not data:
            if dec.pending:
                raise WireError("unexpected EOF")
            return
        msgs = dec.feed(data)
        if msgs:
            yield msgs
