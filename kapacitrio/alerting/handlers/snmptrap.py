"""The `snmptrap` handler: an SNMPv2c trap (BER-encoded over UDP) with the configured varbinds."""

from __future__ import annotations

import ipaddress
import itertools
import socket
from dataclasses import dataclass
from typing import Any

import trio

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import register
from kapacitrio.alerting.handlers.base import (
    Handler,
    HandlerEnv,
    HandlerFailed,
    HandlerOptionError,
    opt_str,
    section_field,
)
from kapacitrio.alerting.handlers.services_common import enabled_section
from kapacitrio.alerting.handlers.tcp import split_address
from kapacitrio.config import section
from kapacitrio.tick.gotemplate import GoMap, GoTime, Template, TemplateError

SYS_UPTIME_OID = "1.3.6.1.2.1.1.3.0"
TRAP_OID_OID = "1.3.6.1.6.3.1.1.4.1.0"
TYPES = {"c", "i", "s", "d", "n", "t", "a", "u", "x", "o", "U"}
_request_ids = itertools.count(1)


@section("snmptrap")
@dataclass
class SNMPTrapConfig:
    """`[snmptrap]`: where SNMP traps go."""

    enabled: bool = False
    addr: str = "localhost:162"
    community: str = "kapacitor"
    retries: int = 1

    SECRETS = ("community",)


# ---------------------------------------------------------------- BER encoding


def _len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _len(len(body)) + body


def ber_int(value: int, tag: int = 0x02) -> bytes:
    length = max(1, (value.bit_length() + 8) // 8)
    return tlv(tag, value.to_bytes(length, "big", signed=True))


def ber_uint(value: int, tag: int) -> bytes:
    if value < 0:
        raise ValueError(f"negative value {value} for an unsigned type")
    length = max(1, (value.bit_length() + 8) // 8)
    return tlv(tag, value.to_bytes(length, "big"))


def ber_oid(oid: str) -> bytes:
    try:
        parts = [int(p) for p in oid.strip(".").split(".")]
    except ValueError:
        raise ValueError(f"invalid OID {oid!r}") from None
    if len(parts) < 2 or parts[0] > 2:
        raise ValueError(f"invalid OID {oid!r}")
    out = bytearray([parts[0] * 40 + parts[1]])
    for p in parts[2:]:
        chunk = [p & 0x7F]
        p >>= 7
        while p:
            chunk.append(0x80 | (p & 0x7F))
            p >>= 7
        out.extend(reversed(chunk))
    return tlv(0x06, bytes(out))


def encode_value(kind: str, value: str) -> bytes:
    """One varbind value from its type letter and text."""
    if kind in ("i", "d"):
        return ber_int(int(value))
    if kind == "u":
        return ber_uint(int(value), 0x42)
    if kind == "c":
        return ber_uint(int(value), 0x41)
    if kind == "U":
        return ber_uint(int(value), 0x46)
    if kind == "t":
        return ber_uint(int(value), 0x43)
    if kind == "s":
        return tlv(0x04, value.encode())
    if kind == "x":
        return tlv(0x04, bytes.fromhex(value.replace(" ", "")))
    if kind == "n":
        return tlv(0x05, b"")
    if kind == "o":
        return ber_oid(value)
    if kind == "a":
        return tlv(0x40, ipaddress.IPv4Address(value).packed)
    raise ValueError(f"unknown SNMP data type {kind!r}")


def trap_packet(
    community: str, request_id: int, uptime: int, trap_oid: str, binds: list[tuple[str, str, str]]
) -> bytes:
    varbinds = [
        tlv(0x30, ber_oid(SYS_UPTIME_OID) + ber_uint(uptime, 0x43)),
        tlv(0x30, ber_oid(TRAP_OID_OID) + ber_oid(trap_oid)),
    ]
    varbinds += [tlv(0x30, ber_oid(oid) + encode_value(kind, value)) for oid, kind, value in binds]
    pdu = tlv(0xA7, ber_int(request_id) + ber_int(0) + ber_int(0) + tlv(0x30, b"".join(varbinds)))
    return tlv(0x30, ber_int(1) + tlv(0x04, community.encode()) + pdu)


class SNMPTrapHandler(Handler):
    def __init__(self, options: dict[str, Any], env: HandlerEnv) -> None:
        self.env = env
        self.trap_oid = opt_str(options, "trap-oid")
        try:
            ber_oid(self.trap_oid)
        except ValueError as exc:
            raise HandlerOptionError(str(exc)) from None
        self.data: list[tuple[str, str, Template]] = []
        for d in options.get("data") or []:
            if not isinstance(d, dict):
                raise HandlerOptionError("snmptrap data must be objects {oid, type, value}")
            oid, kind = str(d.get("oid", "")), str(d.get("type", ""))
            if kind not in TYPES:
                raise HandlerOptionError(f"invalid SNMP trap data type {kind!r}")
            try:
                ber_oid(oid)
                self.data.append((oid, kind, Template(str(d.get("value", "")), name="value")))
            except (ValueError, TemplateError) as exc:
                raise HandlerOptionError(str(exc)) from None

    async def handle(self, event: Event) -> None:
        sec = enabled_section(self.env, "snmptrap")
        tdata = {
            "ID": event.state.id,
            "Message": event.state.message,
            "Details": event.state.details,
            "Level": levels.name(event.state.level),
            "Time": GoTime(event.state.time),
            "Name": event.data.name,
            "TaskName": event.data.task_name,
            "Group": event.data.group,
            "Tags": GoMap(event.data.tags, zero=""),
            "Fields": GoMap(event.data.fields),
        }
        try:
            binds = [(oid, kind, t.render(tdata)) for oid, kind, t in self.data]
            uptime = (event.state.time // 10_000_000) % (1 << 32)
            packet = trap_packet(
                section_field(sec, "community", "kapacitor"),
                next(_request_ids) % (1 << 31),
                uptime,
                self.trap_oid,
                binds,
            )
        except (ValueError, TemplateError) as exc:
            raise HandlerFailed(f"snmptrap: {exc}") from None
        host, port = split_address(section_field(sec, "addr", "localhost:162"))
        try:
            infos = await trio.socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
            family, _, _, _, addr = infos[0]
            with trio.socket.socket(family, socket.SOCK_DGRAM) as sock:
                await sock.sendto(packet, addr)
        except OSError as exc:
            raise HandlerFailed(f"snmptrap: failed to send to {host}:{port}: {exc}") from None


def _from_tick(args: list[Any], props: dict[str, Any]) -> dict[str, Any]:
    return {"trap-oid": args[0] if args else "", "data": list(props.get("data") or [])}


register("snmptrap", SNMPTrapHandler, _from_tick, "snmpTrap")
