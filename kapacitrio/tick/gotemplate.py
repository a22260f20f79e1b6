"""A subset of Go's text/template (and html/template escaping) compiled once into Python closures."""

from __future__ import annotations

import json as _json
import math
import re
import time as _time
import urllib.parse
from collections.abc import Callable
from typing import Any

from kapacitrio.models.timefmt import format_rfc3339
from kapacitrio.tick.errors import TickError
from kapacitrio.tick.values import go_duration, go_float, go_quote


class TemplateError(TickError):
    """A template failed to parse or to execute; the text names the template like Go does."""


class _Missing:
    """Go's invalid reflect.Value: a map key that is absent. Prints `<no value>`."""

    _inst: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._inst is None:
            cls._inst = super().__new__(cls)
        return cls._inst

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "<no value>"


NO_VALUE = _Missing()


class GoMap(dict):
    """A Go map: `zero` is what `index` yields for an absent key ("" for map[string]string)."""

    __slots__ = ("zero",)

    def __init__(self, items: Any = (), zero: Any = None) -> None:
        super().__init__(items)
        self.zero = zero


class GoStruct(dict):
    """A Go struct: fields keep their declared order; an unknown field is an execution error."""

    __slots__ = ("type_name",)

    def __init__(self, items: Any = (), type_name: str = "struct") -> None:
        super().__init__(items)
        self.type_name = type_name


class GoTime(int):
    """A time.Time (ns since epoch, UTC) inside template data."""


class GoDuration(int):
    """A time.Duration (ns) inside template data."""


# ---------------------------------------------------------------- value formatting


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


# ---------------------------------------------------------------- time.Time / time.Duration methods

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


# ---------------------------------------------------------------- Go JSON


def go_json(v: Any) -> str:
    """Encode like Go's encoding/json: compact, maps by sorted key, HTML-safe escapes."""
    fast = _plain(v)
    if fast is not _SLOW:
        text = _ENCODE(fast)
        for c, esc in _GO_ESCAPES:
            if c in text:
                text = text.replace(c, esc)
        return text
    out: list[str] = []
    _json_into(v, out)
    return "".join(out)


class _Slow:
    pass


_ENCODE = _json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


_SLOW = _Slow()
_GO_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def _plain(v: Any) -> Any:
    """The value as plain JSON-able Python when the stdlib encoder gives Go's text, else _SLOW."""
    t = type(v)
    if t is str:
        return _SLOW if ("\b" in v or "\f" in v) else v
    if t is int or t is bool or v is None:
        return v
    if t is float:
        a = abs(v)
        if a == 0 or 1e-4 <= a < 1e16:
            return int(v) if v.is_integer() else v
        return _SLOW
    if v is NO_VALUE:
        return None
    if t is GoTime:
        return format_rfc3339(v)
    if isinstance(v, dict):
        out = {}
        for k in v if t is GoStruct else sorted(v):
            x = v[k]
            tx = type(x)
            if tx is str:
                if "\b" in x or "\f" in x:
                    return _SLOW
            elif not (tx is int or tx is bool):
                x = _plain(x)
                if x is _SLOW:
                    return _SLOW
            out[k] = x
        return out
    if isinstance(v, int):
        return int(v)
    if isinstance(v, list | tuple):
        items = [_plain(x) for x in v]
        return _SLOW if any(x is _SLOW for x in items) else items
    return _SLOW


_JSON_ESC = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_JSON_RE = re.compile(r'["\\\x00-\x1f<>&\u2028\u2029]')


def _json_str(s: str) -> str:
    def sub(m: re.Match[str]) -> str:
        c = m.group(0)
        return _JSON_ESC.get(c) or f"\\u{ord(c):04x}"

    return '"' + _JSON_RE.sub(sub, s) + '"'


def _json_float(f: float) -> str:
    if math.isnan(f) or math.isinf(f):
        raise TemplateError(f"json: unsupported value: {go_float(f)}")
    a = abs(f)
    if a != 0 and (a < 1e-6 or a >= 1e21):
        text = go_float(f, 21)
        m = re.match(r"^(-?[\d.]+)e([-+])0*(\d+)$", text)
        if m:
            text = f"{m.group(1)}e{m.group(2)}{int(m.group(3)):02d}"
            text = re.sub(r"e-0(\d)$", r"e-\1", text)
        return text
    return go_float(f, 400, -400)


def _json_into(v: Any, out: list[str]) -> None:
    if v is None or v is NO_VALUE:
        out.append("null")
    elif isinstance(v, bool):
        out.append("true" if v else "false")
    elif isinstance(v, str):
        out.append(_json_str(v))
    elif isinstance(v, GoTime):
        out.append('"' + format_rfc3339(v) + '"')
    elif isinstance(v, int):
        out.append(str(int(v)))
    elif isinstance(v, float):
        out.append(_json_float(v))
    elif isinstance(v, GoStruct):
        _json_items(list(v.items()), out)
    elif isinstance(v, dict):
        _json_items(sorted(v.items()), out)
    elif isinstance(v, list | tuple):
        out.append("[")
        for i, x in enumerate(v):
            if i:
                out.append(",")
            _json_into(x, out)
        out.append("]")
    else:
        out.append(_json_str(str(v)))


def _json_items(items: list[tuple[Any, Any]], out: list[str]) -> None:
    out.append("{")
    for i, (k, x) in enumerate(items):
        if i:
            out.append(",")
        out.append(_json_str(str(k)))
        out.append(":")
        _json_into(x, out)
    out.append("}")


# ---------------------------------------------------------------- escaping

_HTML_ESC = {
    "\0": "\ufffd",
    '"': "&#34;",
    "&": "&amp;",
    "'": "&#39;",
    "+": "&#43;",
    "<": "&lt;",
    ">": "&gt;",
}
_HTML_RE = re.compile("[\0\"&'+<>]")


def html_escape(s: str) -> str:
    """html/template's escaping of text in an HTML text context."""
    if _HTML_RE.search(s) is None:
        return s
    s = s.replace("&", "&amp;")
    for c, esc in _HTML_ESC.items():
        if c != "&" and c in s:
            s = s.replace(c, esc)
    return s


def _text_html_escape(s: str) -> str:
    """text/template's `html` function (slightly different from html/template's escaper)."""
    return (
        s.replace("&", "&amp;")
        .replace("'", "&#39;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&#34;")
        .replace("\0", "\ufffd")
    )


def _js_escape(s: str) -> str:
    out = []
    for c in s:
        if c == "\\":
            out.append("\\\\")
        elif c == "'":
            out.append("\\'")
        elif c == '"':
            out.append('\\"')
        elif c == "<":
            out.append("\\u003C")
        elif c == ">":
            out.append("\\u003E")
        elif c == "&":
            out.append("\\u0026")
        elif c == "=":
            out.append("\\u003D")
        elif ord(c) < 0x20:
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    return "".join(out)


# ---------------------------------------------------------------- printf


_VERB_RE = re.compile(r"%([-+# 0]*)(\d+|\*)?(?:\.(\d*|\*))?([a-zA-Z%])")


def _bad_verb(verb: str, v: Any) -> str:
    if v is None:
        return f"%!{verb}(<nil>)"
    return f"%!{verb}({go_type(v)}={go_str(v)})"


def _pad(text: str, flags: str, width: int | None, numeric: bool) -> str:
    if width is None or len(text) >= width:
        return text
    if "-" in flags:
        return text.ljust(width)
    if "0" in flags and numeric:
        sign = text[0] if text[:1] in "+-" else ""
        body = text[len(sign) :]
        return sign + body.rjust(width - len(sign), "0")
    return text.rjust(width)


def _fmt_int(v: int, verb: str, flags: str, prec: int | None) -> str:
    n = int(v)
    base = {"d": 10, "x": 16, "X": 16, "o": 8, "b": 2}[verb]
    neg = n < 0
    a = -n if neg else n
    if base == 10:
        digits = str(a)
    elif base == 16:
        digits = format(a, "x" if verb == "x" else "X")
    elif base == 8:
        digits = format(a, "o")
    else:
        digits = format(a, "b")
    if prec is not None:
        digits = digits.rjust(prec, "0")
    if "#" in flags:
        digits = {"x": "0x", "X": "0X", "o": "0", "b": ""}.get(verb, "") + digits
    sign = "-" if neg else ("+" if "+" in flags else (" " if " " in flags else ""))
    return sign + digits


def _fmt_float(f: float, verb: str, flags: str, prec: int | None) -> str:
    if math.isnan(f) or math.isinf(f):
        text = go_float(f)
        if "+" in flags and not text.startswith("-") and text != "NaN":
            text = "+" + text.lstrip("+")
        elif not text.startswith(("-", "+")) or text == "+Inf":
            text = text.lstrip("+") if "+" not in flags else text
        return text
    if verb in ("f", "F"):
        text = f"{f:.{6 if prec is None else prec}f}"
    elif verb in ("e", "E"):
        text = f"{f:.{6 if prec is None else prec}{verb}}"
        text = re.sub(r"([eE][-+])(\d)$", r"\g<1>0\2", text)
    else:  # g, G, v
        if prec is None:
            text = go_float(f)
            if verb == "G":
                text = text.upper()
        else:
            text = f"{f:.{prec}{verb if verb != 'v' else 'g'}}"
            text = re.sub(r"([eE][-+])(\d)$", r"\g<1>0\2", text)
    if "+" in flags and not text.startswith("-"):
        text = "+" + text
    elif " " in flags and not text.startswith("-"):
        text = " " + text
    return text


def _format_one(verb: str, flags: str, width: int | None, prec: int | None, v: Any) -> str:
    numeric = False
    if verb == "v":
        if isinstance(v, float) and not isinstance(v, bool):
            text, numeric = _fmt_float(v, "g", flags, prec), True
        elif isinstance(v, int) and not isinstance(v, bool) and type(v) is int:
            text, numeric = _fmt_int(v, "d", flags, None), True
        else:
            text = go_str(v)
    elif verb == "s":
        if isinstance(v, str):
            text = v if prec is None else v[:prec]
        elif isinstance(v, GoTime | GoDuration) or v is NO_VALUE:
            text = go_str(v)
        elif isinstance(v, dict | list | tuple):
            text = go_str(v)
        else:
            return _bad_verb(verb, v)
    elif verb == "q":
        if isinstance(v, str):
            text = go_quote(v)
        else:
            return _bad_verb(verb, v)
    elif verb == "t":
        if isinstance(v, bool):
            text = "true" if v else "false"
        else:
            return _bad_verb(verb, v)
    elif verb == "T":
        text = go_type(v)
    elif verb in "dxXob":
        if isinstance(v, int) and not isinstance(v, bool):
            text, numeric = _fmt_int(v, verb, flags, prec), True
        elif verb in "xX" and isinstance(v, str):
            text = v.encode().hex()
            text = text.upper() if verb == "X" else text
        else:
            return _bad_verb(verb, v)
    elif verb in "feEgGF":
        if isinstance(v, float):
            text, numeric = _fmt_float(v, verb, flags, prec), True
        else:
            return _bad_verb(verb, v)
    elif verb == "c":
        if isinstance(v, int) and not isinstance(v, bool):
            text = chr(v)
        else:
            return _bad_verb(verb, v)
    else:
        return _bad_verb(verb, v)
    return _pad(text, flags, width, numeric)


def go_sprintf(fmt: str, *args: Any) -> str:
    """Go's `fmt.Sprintf` for the common verbs."""
    out: list[str] = []
    pos = 0
    argi = 0
    for m in _VERB_RE.finditer(fmt):
        out.append(fmt[pos : m.start()])
        pos = m.end()
        flags, width_s, prec_s, verb = m.groups()
        if verb == "%" and not flags and width_s is None and prec_s is None:
            out.append("%")
            continue
        width = None
        if width_s == "*":
            width = int(args[argi]) if argi < len(args) else None
            argi += 1
        elif width_s:
            width = int(width_s)
        prec = None
        if prec_s == "*":
            prec = int(args[argi]) if argi < len(args) else None
            argi += 1
        elif prec_s is not None:
            prec = int(prec_s) if prec_s else 0
        if argi >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        out.append(_format_one(verb, flags, width, prec, args[argi]))
        argi += 1
    out.append(fmt[pos:])
    if argi < len(args):
        extra = ", ".join(f"{go_type(a)}={go_str(a)}" for a in args[argi:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


# ---------------------------------------------------------------- builtin functions


def truth(v: Any) -> bool:
    """Go template truth: false, 0, nil, empty strings/maps/lists and absent values are false."""
    if v is None or v is NO_VALUE:
        return False
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float):
        return v != 0
    if isinstance(v, str | dict | list | tuple):
        return len(v) > 0
    return True


def _basic(v: Any) -> tuple[str, Any]:
    if isinstance(v, bool):
        return "bool", v
    if isinstance(v, int | float):
        return "number", v
    if isinstance(v, str):
        return "string", v
    if v is None or v is NO_VALUE:
        return "nil", None
    raise TemplateError("invalid type for comparison")


def _eq(a: Any, *bs: Any) -> bool:
    if not bs:
        raise TemplateError("missing argument for comparison")
    ka, va = _basic(a)
    for b in bs:
        kb, vb = _basic(b)
        if ka != kb:
            if ka == "nil" or kb == "nil":
                if va is None and vb is None:
                    return True
                continue
            raise TemplateError("incompatible types for comparison")
        if va == vb:
            return True
    return False


def _lt(a: Any, b: Any) -> bool:
    ka, va = _basic(a)
    kb, vb = _basic(b)
    if ka != kb:
        raise TemplateError("incompatible types for comparison")
    if ka in ("bool", "nil"):
        raise TemplateError("invalid type for comparison")
    return va < vb


def _index(item: Any, *keys: Any) -> Any:
    v = item
    for k in keys:
        if v is None or v is NO_VALUE:
            raise TemplateError("index of untyped nil")
        if isinstance(v, dict):
            if k in v:
                v = v[k]
            else:
                v = v.zero if isinstance(v, GoMap) else None
        elif isinstance(v, list | tuple | str):
            if not isinstance(k, int) or isinstance(k, bool):
                raise TemplateError(f"cannot index slice/array with type {go_type(k)}")
            if k < 0 or k >= len(v):
                raise TemplateError(f"index out of range: {k}")
            v = v[k] if not isinstance(v, str) else v.encode()[k]
        else:
            raise TemplateError(f"can't index item of type {go_type(v)}")
    return v


def _len(v: Any) -> int:
    if isinstance(v, str):
        return len(v.encode())
    if isinstance(v, dict | list | tuple):
        return len(v)
    raise TemplateError(f"len of type {go_type(v)}")


def _sprint(*args: Any) -> str:
    out: list[str] = []
    for i, a in enumerate(args):
        if i and not isinstance(a, str) and not isinstance(args[i - 1], str):
            out.append(" ")
        out.append(_format_one("v", "", None, None, a))
    return "".join(out)


def _sprintln(*args: Any) -> str:
    return " ".join(_format_one("v", "", None, None, a) for a in args) + "\n"


def _and(*args: Any) -> Any:
    for a in args:
        if not truth(a):
            return a
    return args[-1]


def _or(*args: Any) -> Any:
    for a in args:
        if truth(a):
            return a
    return args[-1]


def _esc_args(fn: Callable[[str], str]) -> Callable[..., str]:
    def f(*args: Any) -> str:
        if len(args) == 1 and isinstance(args[0], str):
            return fn(args[0])
        return fn(_sprint(*args))

    return f


BUILTINS: dict[str, Callable[..., Any]] = {
    "eq": _eq,
    "ne": lambda a, b: not _eq(a, b),
    "lt": _lt,
    "le": lambda a, b: _lt(a, b) or _eq(a, b),
    "gt": lambda a, b: not (_lt(a, b) or _eq(a, b)),
    "ge": lambda a, b: not _lt(a, b),
    "and": _and,
    "or": _or,
    "not": lambda a: not truth(a),
    "index": _index,
    "len": _len,
    "print": _sprint,
    "printf": go_sprintf,
    "println": _sprintln,
    "html": _esc_args(_text_html_escape),
    "js": _esc_args(_js_escape),
    "urlquery": _esc_args(lambda s: urllib.parse.quote_plus(s, safe="")),
    "json": lambda v: go_json(v) + "\n",
    "jsonCompact": lambda v: go_json(v),
}

# Functions whose output html/template does not escape again (they return safe content).
_HTML_SAFE_FUNCS: frozenset[str] = frozenset()


# ---------------------------------------------------------------- lexer

_ACTION_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<decl>:=)
  | (?P<assign>=)
  | (?P<pipe>\|)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<comma>,)
  | (?P<str>"(?:[^"\\\n]|\\.)*")
  | (?P<raw>`[^`]*`)
  | (?P<char>'(?:[^'\\\n]|\\.)+')
  | (?P<num>[-+]?(?:0[xX][0-9a-fA-F_]+|(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?))
  | (?P<var>\$[A-Za-z_0-9]*)
  | (?P<field>(?:\.[A-Za-z_][A-Za-z_0-9]*)+)
  | (?P<dot>\.)
  | (?P<ident>[A-Za-z_][A-Za-z_0-9]*)
    """,
    re.VERBOSE,
)

_FIELD_CHAIN = re.compile(r"(?:\.[A-Za-z_][A-Za-z_0-9]*)+")


class _Tok:
    __slots__ = ("kind", "text")

    def __init__(self, kind: str, text: str) -> None:
        self.kind = kind
        self.text = text

    def __repr__(self) -> str:
        return f"{self.kind}:{self.text}"


def _lex_action(text: str, err: Callable[[str], TemplateError]) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _ACTION_TOKEN.match(text, pos)
        if m is None:
            raise err(f"unexpected {text[pos]!r} in command")
        kind = m.lastgroup or ""
        tok_text = m.group(0)
        pos = m.end()
        if kind == "ws":
            continue
        # field access directly after `)` or a variable: `(x).Field`, `$x.Field`
        if kind == "var" or kind == "rparen":
            toks.append(_Tok(kind, tok_text))
            fm = _FIELD_CHAIN.match(text, pos)
            if fm:
                toks.append(_Tok("chain", fm.group(0)))
                pos = fm.end()
            continue
        toks.append(_Tok(kind, tok_text))
    return toks


# ---------------------------------------------------------------- compiler

# Compiled forms:
#   value function: (dot, vars) -> value
#   list function:  (dot, vars, out) -> None   (appends rendered text)
_ValueFn = Callable[[Any, list], Any]
_ListFn = Callable[[Any, list, list], None]


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


_KEYWORDS = {
    "if",
    "else",
    "end",
    "range",
    "with",
    "define",
    "template",
    "block",
    "break",
    "continue",
}


def _lookup_field(v: Any, name: str, where: str) -> Any:
    if isinstance(v, GoStruct):
        if name in v:
            return v[name]
        raise TemplateError(f"{where}: can't evaluate field {name} in type {v.type_name}")
    if isinstance(v, dict):
        return v.get(name, NO_VALUE)
    methods = _methods_of(v)
    if methods is not None and name in methods:
        try:
            return methods[name](v)
        except TypeError:
            raise TemplateError(f"{where}: wrong number of args for {name}") from None
    if v is None or v is NO_VALUE:
        raise TemplateError(f"{where}: nil pointer evaluating interface {{}}.{name}")
    raise TemplateError(f"{where}: can't evaluate field {name} in type {go_type(v)}")


def _unquote(text: str, kind: str) -> str:
    if kind == "raw":
        return text[1:-1]
    body = text[1:-1]
    try:
        return body.encode("latin-1", "backslashreplace").decode("unicode_escape")
    except UnicodeDecodeError:
        return body


def _number(text: str) -> int | float:
    t = text.replace("_", "")
    if re.fullmatch(r"[-+]?0[xX][0-9a-fA-F]+", t):
        return int(t, 16)
    if re.fullmatch(r"[-+]?\d+", t):
        return int(t)
    return float(t)


class _Compiler:
    """Parses the template text and builds closures."""

    def __init__(self, name: str, text: str, html: bool, funcs: dict[str, Callable[..., Any]]):
        self.name = name
        self.text = text
        self.html = html
        self.funcs = funcs
        self.items = self._split(text)
        self.pos = 0
        self.line = 1

    def err(self, msg: str) -> TemplateError:
        return TemplateError(f"template: {self.name}:{self.line}: {msg}")

    # -- splitting text and actions
    def _split(self, text: str) -> list[tuple[str, str, int]]:
        items: list[tuple[str, str, int]] = []
        pos = 0
        line = 1
        trim_next = False
        while True:
            start = text.find("{{", pos)
            if start < 0:
                chunk = text[pos:]
                if trim_next:
                    chunk = chunk.lstrip(" \t\r\n")
                if chunk:
                    items.append(("text", chunk, line))
                break
            chunk = text[pos:start]
            inner_start = start + 2
            trim_left = (
                text.startswith("- ", inner_start)
                or text.startswith("-\t", inner_start)
                or text.startswith("-\n", inner_start)
            )
            if trim_left:
                inner_start += 1
            if trim_next:
                chunk = chunk.lstrip(" \t\r\n")
            if trim_left:
                chunk = chunk.rstrip(" \t\r\n")
            if chunk:
                items.append(("text", chunk, line))
            line += text.count("\n", pos, start)
            # find the end, honouring quotes and comments
            end = self._find_close(text, inner_start, line)
            inner = text[inner_start:end]
            trim_next = False
            if inner.endswith(" -") or inner.endswith("\t-") or inner.endswith("\n-"):
                inner = inner[:-1]
                trim_next = True
            stripped = inner.strip()
            if not (stripped.startswith("/*") and stripped.endswith("*/")):
                items.append(("action", inner, line))
            line += text.count("\n", start, end + 2)
            pos = end + 2
        return items

    def _find_close(self, text: str, pos: int, line: int) -> int:
        i = pos
        n = len(text)
        if text.startswith("/*", i) or text.lstrip().startswith("/*"):
            j = text.find("*/", i)
            if j >= 0:
                k = text.find("}}", j)
                if k >= 0:
                    return k
        while i < n:
            c = text[i]
            if c in "\"'`":
                j = i + 1
                while j < n and text[j] != c:
                    if text[j] == "\\" and c != "`":
                        j += 1
                    j += 1
                i = j + 1
                continue
            if text.startswith("}}", i):
                return i
            i += 1
        self.line = line
        raise self.err("unclosed action")

    # -- structure
    def compile(self) -> _ListFn:
        body, term = self._list()
        if term is not None:
            raise self.err(f"unexpected {{{{{term[0]}}}}}")
        return body

    def _list(self) -> tuple[_ListFn, tuple[str, list[_Tok]] | None]:
        """Parse items until `end`/`else`; returns the list and the terminating keyword."""
        parts: list[_ListFn] = []
        while self.pos < len(self.items):
            kind, text, line = self.items[self.pos]
            self.line = line
            self.pos += 1
            if kind == "text":
                parts.append(_text_fn(text))
                continue
            toks = _lex_action(text, self.err)
            if not toks:
                raise self.err("missing value for command")
            head = toks[0]
            if head.kind == "ident" and head.text in ("end", "else"):
                return _seq(parts), (head.text, toks[1:])
            if head.kind == "ident" and head.text in ("if", "range", "with"):
                parts.append(self._block(head.text, toks[1:]))
                continue
            if head.kind == "ident" and head.text in ("break", "continue"):
                exc = _Break if head.text == "break" else _Continue

                def brk(dot: Any, vars: list, out: list, exc: type = exc) -> None:
                    raise exc()

                parts.append(brk)
                continue
            if head.kind == "ident" and head.text in ("define", "template", "block"):
                raise self.err(f"{head.text} is not supported")
            parts.append(self._action(toks))
        return _seq(parts), None

    def _block(self, kw: str, toks: list[_Tok]) -> _ListFn:
        pipe, decls = self._pipeline(toks, allow_decl=True, range_decl=(kw == "range"))
        body, term = self._list()
        else_fn: _ListFn | None = None
        if term is None:
            raise self.err(f"unexpected EOF in {kw}")
        if term[0] == "else":
            rest = term[1]
            if rest and rest[0].kind == "ident" and rest[0].text in ("if", "with"):
                # `else if` / `else with`: a nested block that shares our `end`
                else_fn = self._block(rest[0].text, rest[1:])
            else:
                if rest:
                    raise self.err("unexpected tokens after else")
                else_fn, term2 = self._list()
                if term2 is None or term2[0] != "end":
                    raise self.err(f"expected end; found {term2[0] if term2 else 'EOF'}")
        elif term[1]:
            raise self.err("unexpected tokens after end")
        if kw == "if":
            return _if_fn(pipe, decls, body, else_fn)
        if kw == "with":
            return _with_fn(pipe, decls, body, else_fn)
        return _range_fn(pipe, decls, body, else_fn)

    def _action(self, toks: list[_Tok]) -> _ListFn:
        pipe, decls = self._pipeline(toks, allow_decl=True)
        html = self.html
        if decls:

            def run(dot: Any, vars: list, out: list) -> None:
                _declare(vars, decls, pipe(dot, vars))

            return run

        def emit(dot: Any, vars: list, out: list) -> None:
            v = pipe(dot, vars)
            text = go_str(v)
            out.append(html_escape(text) if html else text)

        return emit

    # -- pipelines
    def _pipeline(
        self, toks: list[_Tok], allow_decl: bool = False, range_decl: bool = False
    ) -> tuple[_ValueFn, tuple[str, list[str]] | None]:
        decls: tuple[str, list[str]] | None = None
        if allow_decl and toks and toks[0].kind == "var":
            names = [toks[0].text]
            i = 1
            if range_decl and len(toks) > 2 and toks[1].kind == "comma" and toks[2].kind == "var":
                names.append(toks[2].text)
                i = 3
            if i < len(toks) and toks[i].kind in ("decl", "assign"):
                decls = (toks[i].kind, names)
                toks = toks[i + 1 :]
        if not toks:
            raise self.err("missing value for command")
        cmds: list[list[_Tok]] = [[]]
        depth = 0
        for t in toks:
            if t.kind == "lparen":
                depth += 1
            elif t.kind == "rparen":
                depth -= 1
            if t.kind == "pipe" and depth == 0:
                cmds.append([])
            else:
                cmds[-1].append(t)
        compiled = [self._command(c, i > 0) for i, c in enumerate(cmds)]
        if len(compiled) == 1:
            only = compiled[0]
            return (lambda dot, vars: only(dot, vars, NO_PIPE)), decls

        def pipeline(dot: Any, vars: list) -> Any:
            v: Any = NO_PIPE
            for c in compiled:
                v = c(dot, vars, v)
            return v

        return pipeline, decls

    def _command(self, toks: list[_Tok], piped: bool) -> Callable[[Any, list, Any], Any]:
        if not toks:
            raise self.err("missing value for command")
        args, rest = self._operands(toks)
        if rest:
            raise self.err(f"unexpected {rest[0].text!r} in operand")
        head_tok = toks[0]
        where = f'executing "{self.name}" at <{head_tok.text}>'
        if head_tok.kind == "ident" and head_tok.text not in ("true", "false", "nil"):
            fname = head_tok.text
            fn = self.funcs.get(fname)
            if fn is None:
                raise self.err(f'function "{fname}" not defined')
            argfns = args[1:]
            name = self.name

            def call(dot: Any, vars: list, prev: Any) -> Any:
                vals = [a(dot, vars) for a in argfns]
                if prev is not NO_PIPE:
                    vals.append(prev)
                try:
                    return fn(*vals)
                except TemplateError as e:
                    raise TemplateError(
                        f'template: {name}: executing "{name}" at <{fname}>: error calling {fname}: {_strip(e)}'
                    ) from None
                except (TypeError, IndexError):
                    raise TemplateError(
                        f'template: {name}: executing "{name}" at <{fname}>: wrong number of args for {fname}'
                    ) from None
                except (ValueError, KeyError, AttributeError, OverflowError) as e:
                    raise TemplateError(
                        f'template: {name}: executing "{name}" at <{fname}>: error calling {fname}: {e}'
                    ) from None

            return call
        if head_tok.kind in ("field", "var") and (len(args) > 1 or piped):
            method = self._method_call(toks, args[1:], where)
            if method is not None:
                return method
        if len(args) > 1:
            raise self.err(f"can't give argument to non-function {head_tok.text}")
        value = args[0]
        name = self.name

        def val(dot: Any, vars: list, prev: Any) -> Any:
            if prev is not NO_PIPE:
                raise TemplateError(
                    f"template: {name}: {where}: can't give argument to non-function {head_tok.text}"
                )
            return value(dot, vars)

        return val

    def _method_call(
        self, toks: list[_Tok], argfns: list[_ValueFn], where: str
    ) -> Callable[[Any, list, Any], Any] | None:
        """`.Time.Format "2006"`: a method of the value before the chain's last name, with args."""
        head = toks[0]
        if head.kind == "field":
            chain = head.text
            base: _ValueFn = lambda dot, vars: dot  # noqa: E731
        elif len(toks) > 1 and toks[1].kind == "chain":
            chain = toks[1].text
            base = _var_fn(head.text, self.name)
        else:
            return None
        recv_chain, _, mname = chain.rpartition(".")
        recv = self._chain(base, recv_chain) if recv_chain else base
        tname = self.name

        def call(dot: Any, vars: list, prev: Any) -> Any:
            r = recv(dot, vars)
            methods = _methods_of(r)
            if methods is None or mname not in methods:
                raise TemplateError(
                    f"template: {tname}: {where}: can't give argument to non-function {chain}"
                )
            vals = [a(dot, vars) for a in argfns]
            if prev is not NO_PIPE:
                vals.append(prev)
            try:
                return methods[mname](r, *vals)
            except TypeError:
                raise TemplateError(
                    f"template: {tname}: {where}: wrong number of args for {mname}"
                ) from None

        return call

    def _operands(self, toks: list[_Tok]) -> tuple[list[_ValueFn], list[_Tok]]:
        out: list[_ValueFn] = []
        i = 0
        while i < len(toks):
            t = toks[i]
            if t.kind == "rparen":
                break
            fn, i = self._operand(toks, i)
            out.append(fn)
        return out, toks[i:]

    def _operand(self, toks: list[_Tok], i: int) -> tuple[_ValueFn, int]:
        t = toks[i]
        name = self.name
        k = t.kind
        if k == "field":
            return self._chain(lambda dot, vars: dot, t.text), i + 1
        if k == "dot":
            return (lambda dot, vars: dot), i + 1
        if k == "var":
            vname = t.text
            base = _var_fn(vname, name)
            if i + 1 < len(toks) and toks[i + 1].kind == "chain":
                return self._chain(base, toks[i + 1].text), i + 2
            return base, i + 1
        if k in ("str", "raw"):
            s = _unquote(t.text, k)
            return (lambda dot, vars: s), i + 1
        if k == "char":
            c = _unquote(t.text, "str")
            code = ord(c[0]) if c else 0
            return (lambda dot, vars: code), i + 1
        if k == "num":
            try:
                n = _number(t.text)
            except ValueError:
                raise self.err(f"bad number syntax: {t.text!r}") from None
            return (lambda dot, vars: n), i + 1
        if k == "ident":
            if t.text == "true":
                return (lambda dot, vars: True), i + 1
            if t.text == "false":
                return (lambda dot, vars: False), i + 1
            if t.text == "nil":
                return (lambda dot, vars: None), i + 1
            if t.text in _KEYWORDS:
                raise self.err(f"unexpected <{t.text}> in command")
            # a function used as an argument with no args of its own
            fn = self.funcs.get(t.text)
            if fn is None:
                raise self.err(f'function "{t.text}" not defined')
            fname, tname = t.text, self.name

            def call0(dot: Any, vars: list) -> Any:
                try:
                    return fn()
                except (TypeError, IndexError):
                    raise TemplateError(
                        f'template: {tname}: executing "{tname}" at <{fname}>: wrong number of args for {fname}'
                    ) from None

            return call0, i + 1
        if k == "lparen":
            depth = 0
            j = i
            while j < len(toks):
                if toks[j].kind == "lparen":
                    depth += 1
                elif toks[j].kind == "rparen":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            if j >= len(toks):
                raise self.err("unclosed left paren")
            inner, _ = self._pipeline(toks[i + 1 : j])
            if j + 1 < len(toks) and toks[j + 1].kind == "chain":
                return self._chain(inner, toks[j + 1].text), j + 2
            return inner, j + 1
        raise self.err(f"unexpected {t.text!r} in operand")

    def _chain(self, base: _ValueFn, chain: str) -> _ValueFn:
        names = chain.split(".")[1:]
        where = f'template: {self.name}: executing "{self.name}" at <{chain}>'

        if len(names) == 1:
            n0 = names[0]

            def one(dot: Any, vars: list) -> Any:
                v = base(dot, vars)
                if type(v) is GoStruct and n0 in v:
                    return v[n0]
                return _lookup_field(v, n0, where)

            return one

        def many(dot: Any, vars: list) -> Any:
            v = base(dot, vars)
            for n in names:
                v = _lookup_field(v, n, where)
            return v

        return many


NO_PIPE = object()


def _strip(e: TemplateError) -> str:
    text = str(e)
    return text.split(": ", 1)[1] if text.startswith("template:") and ": " in text else text


def _var_fn(vname: str, tname: str) -> _ValueFn:
    def get(dot: Any, vars: list) -> Any:
        for n, v in reversed(vars):
            if n == vname:
                return v
        raise TemplateError(f'template: {tname}: undefined variable "{vname}"')

    return get


def _declare(vars: list, decls: tuple[str, list[str]], value: Any) -> None:
    kind, names = decls
    if kind == "decl":
        vars.append((names[0], value))
        return
    for idx in range(len(vars) - 1, -1, -1):
        if vars[idx][0] == names[0]:
            vars[idx] = (names[0], value)
            return
    raise TemplateError(f'undefined variable "{names[0]}"')


def _text_fn(text: str) -> _ListFn:
    def f(dot: Any, vars: list, out: list) -> None:
        out.append(text)

    return f


def _seq(parts: list[_ListFn]) -> _ListFn:
    if len(parts) == 1:
        return parts[0]

    def f(dot: Any, vars: list, out: list) -> None:
        for p in parts:
            p(dot, vars, out)

    return f


def _if_fn(pipe: _ValueFn, decls: Any, body: _ListFn, else_fn: _ListFn | None) -> _ListFn:
    return _branch_fn(pipe, decls, body, else_fn, rebind_dot=False)


def _with_fn(pipe: _ValueFn, decls: Any, body: _ListFn, else_fn: _ListFn | None) -> _ListFn:
    return _branch_fn(pipe, decls, body, else_fn, rebind_dot=True)


def _branch_fn(
    pipe: _ValueFn, decls: Any, body: _ListFn, else_fn: _ListFn | None, *, rebind_dot: bool
) -> _ListFn:
    """`if` and `with`: run `body` when the pipeline's value is true (`with` makes it the dot)."""

    def f(dot: Any, vars: list, out: list) -> None:
        mark = len(vars)
        v = pipe(dot, vars)
        if decls:
            _declare(vars, decls, v)
        if truth(v):
            body(v if rebind_dot else dot, vars, out)
        elif else_fn is not None:
            else_fn(dot, vars, out)
        del vars[mark:]

    return f


def _range_fn(pipe: _ValueFn, decls: Any, body: _ListFn, else_fn: _ListFn | None) -> _ListFn:
    names = decls[1] if decls else []

    def f(dot: Any, vars: list, out: list) -> None:
        mark = len(vars)
        v = pipe(dot, vars)
        if isinstance(v, dict):
            items = [(k, v[k]) for k in sorted(v)]
        elif isinstance(v, list | tuple):
            items = list(enumerate(v))
        elif isinstance(v, int) and not isinstance(v, bool):
            items = [(i, i) for i in range(v)]
        elif v is None or v is NO_VALUE:
            items = []
        else:
            raise TemplateError(f"range can't iterate over {go_str(v)}")
        if not items:
            if else_fn is not None:
                else_fn(dot, vars, out)
            return
        for key, elem in items:
            del vars[mark:]
            if len(names) == 1:
                vars.append((names[0], elem))
            elif len(names) == 2:
                vars.append((names[0], key))
                vars.append((names[1], elem))
            try:
                body(elem, vars, out)
            except _Continue:
                continue
            except _Break:
                break
        del vars[mark:]

    return f


class Template:
    """A compiled template: `Template(text, html=False).render(data) -> str`.

    `data` is the value of `.` (usually a `GoStruct`, or a plain dict whose absent keys print
    `<no value>`). Parse errors raise `TemplateError` from the constructor; execution errors
    from `render`.
    """

    __slots__ = ("text", "html", "name", "_fn", "_const")

    def __init__(
        self,
        text: str,
        html: bool = False,
        name: str = "",
        funcs: dict[str, Callable[..., Any]] | None = None,
    ) -> None:
        self.text = text
        self.html = html
        self.name = name
        allfuncs = BUILTINS if not funcs else {**BUILTINS, **funcs}
        self._const: str | None = text if "{{" not in text else None
        self._fn = _Compiler(name, text, html, allfuncs).compile() if self._const is None else None

    def render(self, data: Any) -> str:
        """Execute the template with `.` and `$` bound to data."""
        if self._const is not None:
            return self._const
        out: list[str] = []
        assert self._fn is not None
        try:
            self._fn(data, [("$", data)], out)
        except (_Break, _Continue):
            pass
        except RecursionError:
            raise TemplateError(f"template: {self.name}: exceeded maximum template depth") from None
        return "".join(out)
