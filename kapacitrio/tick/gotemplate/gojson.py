"""JSON encoding that matches Go's encoding/json output."""

from __future__ import annotations

import json as _json
import math
import re
from typing import Any

from kapacitrio.models.gonumbers import go_float_text
from kapacitrio.models.timefmt import format_rfc3339
from kapacitrio.tick.gotemplate.errors import TemplateError
from kapacitrio.tick.gotemplate.gotypes import NO_VALUE, GoStruct, GoTime
from kapacitrio.tick.values import go_float


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
    return go_float_text(f)


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
