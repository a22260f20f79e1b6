"""Time conversion between integer nanoseconds and the RFC3339 text Kapacitor's JSON uses."""

from __future__ import annotations

import calendar
import re
import time as _time

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:\d{2})$"
)


def format_rfc3339(ns: int) -> str:
    """Format like Go's `time.Time` JSON in UTC: RFC3339 with nanoseconds, trailing zeros dropped."""
    secs, frac = divmod(ns, 1_000_000_000)
    base = _time.strftime("%Y-%m-%dT%H:%M:%S", _time.gmtime(secs))
    if frac:
        return f"{base}.{frac:09d}".rstrip("0") + "Z"
    return base + "Z"


def parse_rfc3339(text: str) -> int:
    """Parse RFC3339 (with optional fraction and offset) into nanoseconds since the epoch."""
    m = _RFC3339.match(text)
    if m is None:
        raise ValueError(f"invalid RFC3339 time {text!r}")
    year, month, day, hour, minute, sec, frac, zone = m.groups()
    secs = calendar.timegm(
        (int(year), int(month), int(day), int(hour), int(minute), int(sec), 0, 0, 0)
    )
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        secs -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    nanos = int((frac or "").ljust(9, "0") or 0)
    return secs * 1_000_000_000 + nanos
