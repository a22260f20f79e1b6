"""time.Time / time.Duration methods callable from templates, with Go layout formatting."""

from __future__ import annotations

import re
import time as _time
from collections.abc import Callable
from typing import Any

from kapacitrio.tick.gotemplate.errors import TemplateError
from kapacitrio.tick.gotemplate.formatting import go_time, go_type
from kapacitrio.tick.gotemplate.gotypes import GoDuration, GoTime
from kapacitrio.tick.values import go_duration

_LAYOUT_RE = re.compile(
    r"January|Jan|Monday|Mon|2006|06|01|02|_2|002|15|03|04|05|Z07:00|Z0700|Z07|-07:00|-0700|-07"
    r"|MST|PM|pm|[.,](?:0+|9+)(?!\d)|1|2|3|4|5"
)
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]  # fmt: skip
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def go_time_format(ns: int, layout: str) -> str:
    """Go's `time.Time.Format(layout)` for a UTC time (reference time Mon Jan 2 15:04:05 MST 2006)."""
    secs, frac = divmod(int(ns), 1_000_000_000)
    tm = _time.gmtime(secs)

    def sub(m: re.Match[str]) -> str:
        tok = m.group(0)
        if tok[0] in ".," and len(tok) > 1:
            digits = f"{frac:09d}"[: len(tok) - 1]
            if tok[1] == "9":
                digits = digits.rstrip("0")
                return tok[0] + digits if digits else ""
            return tok[0] + digits
        h12 = tm.tm_hour % 12 or 12
        table = {
            "January": _MONTHS[tm.tm_mon - 1], "Jan": _MONTHS[tm.tm_mon - 1][:3],
            "Monday": _DAYS[tm.tm_wday], "Mon": _DAYS[tm.tm_wday][:3],
            "2006": f"{tm.tm_year:04d}", "06": f"{tm.tm_year % 100:02d}",
            "01": f"{tm.tm_mon:02d}", "1": str(tm.tm_mon),
            "02": f"{tm.tm_mday:02d}", "_2": f"{tm.tm_mday:2d}", "2": str(tm.tm_mday),
            "002": f"{tm.tm_yday:03d}",
            "15": f"{tm.tm_hour:02d}", "03": f"{h12:02d}", "3": str(h12),
            "04": f"{tm.tm_min:02d}", "4": str(tm.tm_min),
            "05": f"{tm.tm_sec:02d}", "5": str(tm.tm_sec),
            "PM": "PM" if tm.tm_hour >= 12 else "AM", "pm": "pm" if tm.tm_hour >= 12 else "am",
            "MST": "UTC", "Z07:00": "Z", "Z0700": "Z", "Z07": "Z",
            "-07:00": "+00:00", "-0700": "+0000", "-07": "+00",
        }  # fmt: skip
        return table[tok]

    return _LAYOUT_RE.sub(sub, layout)


def _need_str(v: Any) -> str:
    if not isinstance(v, str):
        raise TemplateError(f"wrong type for value; expected string; got {go_type(v)}")
    return v


_TIME_METHODS: dict[str, Callable[..., Any]] = {
    "Unix": lambda t: int(t) // 1_000_000_000,
    "UnixNano": lambda t: int(t),
    "UnixMilli": lambda t: int(t) // 1_000_000,
    "UTC": lambda t: t,
    "Local": lambda t: t,
    "String": lambda t: go_time(t),
    "Format": lambda t, layout: go_time_format(t, _need_str(layout)),
    "Year": lambda t: _time.gmtime(int(t) // 1_000_000_000).tm_year,
    "Month": lambda t: _MONTHS[_time.gmtime(int(t) // 1_000_000_000).tm_mon - 1],
    "Day": lambda t: _time.gmtime(int(t) // 1_000_000_000).tm_mday,
    "Hour": lambda t: _time.gmtime(int(t) // 1_000_000_000).tm_hour,
    "Minute": lambda t: _time.gmtime(int(t) // 1_000_000_000).tm_min,
    "Second": lambda t: _time.gmtime(int(t) // 1_000_000_000).tm_sec,
    "Weekday": lambda t: _DAYS[_time.gmtime(int(t) // 1_000_000_000).tm_wday],
    "IsZero": lambda t: int(t) == -62135596800 * 1_000_000_000,
}
_DURATION_METHODS: dict[str, Callable[..., Any]] = {
    "Seconds": lambda d: int(d) / 1e9,
    "Minutes": lambda d: int(d) / 6e10,
    "Hours": lambda d: int(d) / 3.6e12,
    "Milliseconds": lambda d: int(d) // 1_000_000,
    "Microseconds": lambda d: int(d) // 1_000,
    "Nanoseconds": lambda d: int(d),
    "String": lambda d: go_duration(d),
}


def _methods_of(v: Any) -> dict[str, Callable[..., Any]] | None:
    if isinstance(v, GoTime):
        return _TIME_METHODS
    if isinstance(v, GoDuration):
        return _DURATION_METHODS
    return None
