"""Runtime value types of TICKscript lambdas (missing, duration, time) and their Go-style names and texts."""

from __future__ import annotations

import math
import re

__all__ = [
    "MISSING",
    "Duration",
    "Time",
    "MissingType",
    "type_name",
    "name_of_type",
    "go_type_name",
    "NS_PER_UNIT",
    "format_duration",
    "parse_duration",
    "parse_decimal_duration",
    "go_duration",
    "go_float",
    "format_float_f",
    "format_float_v",
    "go_quote",
]


class MissingType:
    """The type of `MISSING`: the value of a reference that the point does not have."""

    __slots__ = ()
    _instance: MissingType | None = None

    def __new__(cls) -> MissingType:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "MISSING"


MISSING = MissingType()


class Duration(int):
    """A duration in nanoseconds; an `int` so arithmetic stays cheap (`type(v) is Duration` tells it apart)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Duration({int(self)})"

    def __str__(self) -> str:
        return format_duration(self)


class Time(int):
    """A point in time in nanoseconds since the Unix epoch."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Time({int(self)})"


_PATTERN = re.Pattern

# Kapacitor's ast.ValueType names, used in operator and type-guard errors.
_TYPE_NAMES: dict[type, str] = {
    bool: "boolean",
    int: "int",
    float: "float",
    str: "string",
    Duration: "duration",
    Time: "time",
    _PATTERN: "regex",
    MissingType: "missing",
}

# Go's %T names, used where Kapacitor formats a Go value's dynamic type.
_GO_TYPE_NAMES: dict[type, str] = {
    bool: "bool",
    int: "int",
    float: "float64",
    str: "string",
    Duration: "time.Duration",
    Time: "time.Time",
    _PATTERN: "*regexp.Regexp",
    MissingType: "*ast.Missing",
    type(None): "<nil>",
}


def type_name(value: object) -> str:
    """The TICKscript type name of a runtime value (`boolean`, `int`, `float`, `string`, `duration`, ...)."""
    return _TYPE_NAMES.get(type(value), "invalid type")


def name_of_type(t: type) -> str:
    """The TICKscript type name of a runtime type (`boolean` for `bool`, `regex` for `re.Pattern`)."""
    return _TYPE_NAMES.get(t, "invalid type")


def go_type_name(value: object) -> str:
    """The Go `%T` name of a runtime value as Kapacitor prints it (`float64`, `string`, `time.Duration`)."""
    return _GO_TYPE_NAMES.get(type(value), type(value).__name__)


# ---------------------------------------------------------------------------------------------
# Durations

NS_PER_UNIT = {
    "ns": 1,
    "u": 1_000,
    "µ": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
    "d": 86_400_000_000_000,
    "w": 604_800_000_000_000,
}
_FORMAT_UNITS = [(unit, NS_PER_UNIT[unit]) for unit in ("w", "d", "h", "m", "s", "ms", "u")]
_DURATION_PART = re.compile(r"(\d+)(ns|ms|u|µ|s|m|h|d|w)")


def format_duration(ns: int) -> str:
    """InfluxQL text of a duration: one integer with the largest unit that divides it exactly (`90s`, `1m`)."""
    ns = int(ns)
    if ns == 0:
        return "0s"
    for unit, size in _FORMAT_UNITS:
        if ns % size == 0:
            return f"{ns // size}{unit}"
    return f"{ns}ns"


def parse_duration(text: str) -> int:
    """Parse an InfluxQL duration (`5m`, `1h30m`, `-10s`) into nanoseconds; `ValueError` when invalid."""
    s = text
    sign = 1
    if s.startswith("-"):
        sign, s = -1, s[1:]
    if not s:
        raise ValueError(f"invalid duration {text!r}")
    pos, total = 0, 0
    while pos < len(s):
        m = _DURATION_PART.match(s, pos)
        if m is None:
            raise ValueError(f"invalid duration {text!r}")
        total += int(m.group(1)) * NS_PER_UNIT[m.group(2)]
        pos = m.end()
    return sign * total


# Go's `time.ParseDuration` units (`us`, `µs`) beside InfluxQL's, as config files and the CLI accept them.
_DECIMAL_UNITS = {**NS_PER_UNIT, "us": 1_000, "µs": 1_000}
_DECIMAL_PART = re.compile(r"(\d+(?:\.\d*)?)(ns|us|µs|u|ms|s|m|h|d|w)")


def parse_decimal_duration(text: str) -> int:
    """Parse an unsigned duration whose parts may be decimal (`1.5s`, `1h30m`, `2d`) into nanoseconds.

    Each part is truncated to whole nanoseconds; `ValueError` when `text` is empty or not a duration.
    """
    pos, total = 0, 0
    for m in _DECIMAL_PART.finditer(text):
        if m.start() != pos:
            break
        total += int(float(m.group(1)) * _DECIMAL_UNITS[m.group(2)])
        pos = m.end()
    if pos != len(text) or pos == 0:
        raise ValueError(f"invalid duration {text!r}")
    return total


def go_duration(ns: int) -> str:
    """Go's `time.Duration.String()`: `1h0m0s`, `2.9999ms`, `15ns`, `0s`."""
    ns = int(ns)
    if ns == 0:
        return "0s"
    neg = ns < 0
    u = -ns if neg else ns
    if u < 1_000_000_000:
        for unit, size in (("ns", 1), ("µs", 1_000), ("ms", 1_000_000)):
            if u < size * 1000:
                text = _frac(u, size) + unit
                break
    else:
        hours, rem = divmod(u, 3_600_000_000_000)
        minutes, rem = divmod(rem, 60_000_000_000)
        text = _frac(rem, 1_000_000_000) + "s"
        if hours:
            text = f"{hours}h{minutes}m" + text
        elif minutes:
            text = f"{minutes}m" + text
    return "-" + text if neg else text


def _frac(value: int, size: int) -> str:
    whole, rest = divmod(value, size)
    if not rest:
        return str(whole)
    digits = len(str(size)) - 1
    return f"{whole}." + f"{rest:0{digits}d}".rstrip("0")


# ---------------------------------------------------------------------------------------------
# Floats and strings as Go prints them


_NO_EXPONENT = 400  # beyond any float64 exponent: plain digits only


def go_float(f: float, exp_limit: int = 6, exp_low: int = -4) -> str:
    """Go's shortest text of a float64, in `e` notation when the exponent is < exp_low or >= exp_limit."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "-0" if math.copysign(1, f) < 0 else "0"
    r = repr(f)
    mant, _, exp_s = r.partition("e")
    exp = int(exp_s) if exp_s else 0
    neg = mant.startswith("-")
    mant = mant.lstrip("-")
    intpart, _, fracpart = mant.partition(".")
    digits = (intpart + fracpart).lstrip("0")
    # decimal point position relative to digits
    if intpart.strip("0"):
        dp = len(intpart.lstrip("0")) + exp
    else:
        dp = exp - (len(fracpart) - len(fracpart.lstrip("0")))
    digits = digits.rstrip("0") or "0"
    x = dp - 1
    if x < exp_low or x >= exp_limit:
        m = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        text = f"{m}e{'-' if x < 0 else '+'}{abs(x):02d}"
    elif dp <= 0:
        text = "0." + "0" * (-dp) + digits
    elif dp >= len(digits):
        text = digits + "0" * (dp - len(digits))
    else:
        text = digits[:dp] + "." + digits[dp:]
    return "-" + text if neg else text


def format_float_f(value: float) -> str:
    """Go's `strconv.FormatFloat(v, 'f', -1, 64)`: shortest digits, never an exponent."""
    return go_float(value, _NO_EXPONENT, -_NO_EXPONENT)


def format_float_v(value: float) -> str:
    """Go's `%v` of a float64: shortest digits, exponent form below 1e-4 or from 1e21."""
    return go_float(value, 21)


def go_quote(text: str) -> str:
    """Go's `strconv.Quote`: double quotes, with `\\"`, `\\\\` and non-printable characters escaped."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\a":
            out.append("\\a")
        elif ch == "\b":
            out.append("\\b")
        elif ch == "\f":
            out.append("\\f")
        elif ch == "\v":
            out.append("\\v")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif not ch.isprintable() and code > 0x7F:
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)
