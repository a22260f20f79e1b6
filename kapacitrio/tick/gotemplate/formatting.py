"""Go's default value printing (`%v`) and type names (`%T`) for template values."""

from __future__ import annotations

import re
import time as _time
from typing import Any

from kapacitrio.tick.gotemplate.gotypes import NO_VALUE, GoDuration, GoMap, GoStruct, GoTime
from kapacitrio.tick.values import go_duration, go_float


def go_time(ns: int) -> str:
    """Go's `time.Time.String()` for a UTC time: `2006-01-02 15:04:05.999999999 +0000 UTC`."""
    secs, frac = divmod(int(ns), 1_000_000_000)
    base = _time.strftime("%Y-%m-%d %H:%M:%S", _time.gmtime(secs))
    if frac:
        base += f".{frac:09d}".rstrip("0")
    return base + " +0000 UTC"


def go_str(v: Any) -> str:
    """Format a value like Go's `%v` / text/template printing."""
    if isinstance(v, str):
        return v
    if v is NO_VALUE:
        return "<no value>"
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, GoTime) or type(v).__name__ == "Time" and isinstance(v, int):
        return go_time(v)
    if isinstance(v, GoDuration) or type(v).__name__ == "Duration" and isinstance(v, int):
        return go_duration(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _go_v_float(v)
    if isinstance(v, GoStruct):
        return "{" + " ".join(go_str(x) for x in v.values()) + "}"
    if isinstance(v, dict):
        return "map[" + " ".join(f"{go_str(k)}:{go_str(v[k])}" for k in sorted(v)) + "]"
    if isinstance(v, list | tuple):
        return "[" + " ".join(go_str(x) for x in v) + "]"
    if isinstance(v, re.Pattern):
        return v.pattern
    return str(v)


def _go_v_float(f: float) -> str:
    """`%v` of a float64 uses %g with the shortest precision: exponent when < -4 or >= 21."""
    return go_float(f)


def go_type(v: Any) -> str:
    """Go's `%T` name for a template value."""
    if v is None or v is NO_VALUE:
        return "<nil>"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, GoTime):
        return "time.Time"
    if isinstance(v, GoDuration):
        return "time.Duration"
    if isinstance(v, int):
        return "int64"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, GoStruct):
        return v.type_name
    if isinstance(v, GoMap) and isinstance(v.zero, str):
        return "map[string]string"
    if isinstance(v, dict):
        return "map[string]interface {}"
    if isinstance(v, list | tuple):
        return "[]interface {}"
    return type(v).__name__
