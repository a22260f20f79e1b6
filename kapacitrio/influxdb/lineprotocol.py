"""Encoding points as InfluxDB line protocol (the inverse of `models.lineprotocol`)."""

from __future__ import annotations

import math
from typing import Any

from kapacitrio.models.lineprotocol import PRECISIONS

#: The write precisions InfluxDB 1.x's `/write` takes: the shared table less `us`, which it refuses.
_OUT_PRECISIONS = frozenset(PRECISIONS) - {"us"}


class EncodeError(ValueError):
    """A point cannot be written (no usable field, bad precision)."""


def precision_ns(precision: str) -> int:
    """Nanoseconds per unit of a write precision (`""`, `ns`, `u`, `ms`, `s`, `m`, `h`)."""
    if precision not in _OUT_PRECISIONS:
        raise EncodeError(f"invalid precision {precision!r}")
    return PRECISIONS[precision]


def _escape(text: str, chars: str) -> str:
    for c in chars:
        if c in text:
            text = text.replace(c, "\\" + c)
    return text


def escape_measurement(name: str) -> str:
    return _escape(name, ", ")


def escape_key(key: str) -> str:
    """Escape a tag key, tag value or field key."""
    return _escape(key, ",= ")


def field_value(value: Any) -> str | None:
    """The line-protocol text of one field value; None for values InfluxDB cannot store."""
    t = type(value)
    if t is bool:
        return "true" if value else "false"
    if t is int:
        return f"{value}i"
    if t is float:
        if math.isnan(value) or math.isinf(value):
            return None
        return repr(value)
    if t is str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return None


def encode(
    name: str, tags: dict[str, str], fields: dict[str, Any], time: int, precision: str = ""
) -> str:
    """One line: `name,tags fields time`, tags sorted, time truncated to the precision."""
    parts = [escape_measurement(name)]
    for k in sorted(tags):
        v = tags[k]
        if k and v != "":
            parts.append(f"{escape_key(k)}={escape_key(v)}")
    pairs = []
    for k, v in fields.items():
        text = field_value(v)
        if text is not None:
            pairs.append(f"{escape_key(k)}={text}")
    if not pairs:
        raise EncodeError(f"point {name!r} has no field InfluxDB can store")
    return f"{','.join(parts)} {','.join(pairs)} {time // precision_ns(precision)}"
