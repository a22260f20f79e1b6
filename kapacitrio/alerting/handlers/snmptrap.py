"""The `snmptrap` handler: an SNMPv2c trap (UDP) with templated varbinds."""

from __future__ import annotations

import ipaddress
import itertools
import socket
from dataclasses import dataclass
from typing import Any

import trio

from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import define
from kapacitrio.alerting.handlers.base import HandlerEnv, HandlerFailed
from kapacitrio.alerting.handlers.kind import Ctx, Kind, Tick, config_section
from kapacitrio.alerting.handlers.options import LIST, Opt, Table, Values
from kapacitrio.alerting.handlers.services_common import template_data
from kapacitrio.alerting.handlers.tcp import split_address
from kapacitrio.tick.gotemplate import Template, TemplateError

SYS_UPTIME_OID = "1.3.6.1.2.1.1.3.0"
TRAP_OID_OID = "1.3.6.1.6.3.1.1.4.1.0"
#: Kapacitor's traps carry a fixed sysUpTime of 1000 ticks.
SYS_UPTIME = 1000
#: TICKscript data types; `c` is a Counter64 as in Kapacitor.
TYPES = {"c", "i", "s", "d", "n", "t", "a", "u", "x", "o", "U"}
_request_ids = itertools.count(1)

SNMPTrapConfig = config_section(
    "snmptrap",
    "SNMPTrapConfig",
    "`[snmptrap]`: where SNMP traps go.",
    {"enabled": False, "addr": "localhost:162", "community": "kapacitor", "retries": 1},
    secrets=("community",),
)


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
    if kind in ("c", "U"):
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
    """An SNMPv2c SNMPv2-Trap PDU: sysUpTime, snmpTrapOID, then the data varbinds."""
    varbinds = [
        tlv(0x30, ber_oid(SYS_UPTIME_OID) + ber_uint(uptime, 0x43)),
        tlv(0x30, ber_oid(TRAP_OID_OID) + ber_oid(trap_oid)),
    ]
    varbinds += [tlv(0x30, ber_oid(oid) + encode_value(kind, value)) for oid, kind, value in binds]
    pdu = tlv(0xA7, ber_int(request_id) + ber_int(0) + ber_int(0) + tlv(0x30, b"".join(varbinds)))
    return tlv(0x30, ber_int(1) + tlv(0x04, community.encode()) + pdu)


def _trap_oid(value: str) -> str:
    ber_oid(value)
    return value


def _data(value: list[dict[str, Any]]) -> list[tuple[str, str, Template]]:
    out = []
    for d in value:
        oid, kind, text = d.get("oid", ""), d.get("type", ""), d.get("value", "")
        if not all(isinstance(x, str) for x in (oid, kind, text)):
            raise ValueError("snmptrap data entries have string oid, type and value")
        if kind not in TYPES:
            raise ValueError(f"invalid SNMP trap data type {kind!r}")
        ber_oid(oid)
        try:
            out.append((oid, kind, Template(text, name="value")))
        except TemplateError as exc:
            raise ValueError(str(exc)) from None
    return out


def _tick_data(props: dict[str, Any], args: list[Any]) -> None:
    props["data-list"].append({"oid": args[0], "type": args[1], "value": args[2]})


TABLE = Table(
    "*snmptrap.HandlerConfig",
    (
        Opt("trap-oid", convert=_trap_oid, tick=""),
        Opt(
            "data-list",
            LIST,
            convert=_data,
            aliases=("data",),
            tick="data",
            tick_params=("string", "string", "string"),
            tick_apply=_tick_data,
        ),
    ),
)


@dataclass
class Trap:
    """One trap datagram for the configured receiver."""

    addr: str
    packet: bytes

    async def send(self, env: HandlerEnv) -> None:
        host, port = split_address(self.addr)
        try:
            infos = await trio.socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
            family, _, _, _, addr = infos[0]
            with trio.socket.socket(family, socket.SOCK_DGRAM) as sock:
                await sock.sendto(self.packet, addr)
        except OSError as exc:
            raise HandlerFailed(f"snmptrap: failed to send to {host}:{port}: {exc}") from None


def request(o: Values, event: Event, ctx: Ctx) -> Trap:
    data = template_data(event)
    try:
        binds = [(oid, kind, t.render(data)) for oid, kind, t in o["data-list"]]
        packet = trap_packet(
            ctx.cfg("community", "kapacitor"),
            next(_request_ids) % (1 << 31),
            SYS_UPTIME,
            o["trap-oid"],
            binds,
        )
    except (ValueError, TemplateError) as exc:
        raise HandlerFailed(f"snmptrap: {exc}") from None
    return Trap(ctx.cfg("addr", "localhost:162"), packet)


define(
    Kind(
        "snmptrap",
        TABLE,
        request,
        Tick("snmpTrap", "SNMPTrapHandler", ("string",), ("trap-oid",)),
        section="snmptrap",
    )
)
