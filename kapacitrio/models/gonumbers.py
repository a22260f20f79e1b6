"""JSON numbers as Go's encoding/json writes them: `979` for 979.0, `1e-7`, `1e+21`, `0.00001`.

Every JSON the server sends where Kapacitor's would come from Go (the API, httpOut, events,
handler and httpPost bodies, feeds) goes through `dumps` (or `go_numbers` before another encoder).
Strings, key order and spacing are left to the caller; only floats change.
"""

from __future__ import annotations

import json
import math
import secrets
from typing import Any


def go_float_text(f: float) -> str:
    """A finite float as Go's encoding/json writes it (shortest digits; exponent form only when
    abs < 1e-6 or >= 1e21, with `e-7` rather than `e-07`)."""
    if f == 0:
        return "-0" if math.copysign(1.0, f) < 0 else "0"
    a = abs(f)
    r = repr(f)
    if a < 1e-6 or a >= 1e21:
        mant, _, exp = r.partition("e")
        if not exp:  # repr chose plain digits (cannot happen in this range, but be safe)
            return r
        sign = "-" if exp.startswith("-") else "+"
        digits = exp.lstrip("+-").lstrip("0") or "0"
        if sign == "+" and len(digits) < 2:
            digits = digits.rjust(2, "0")
        return f"{mant.removesuffix('.0')}e{sign}{digits}"
    return _plain_decimal(r)


def _plain_decimal(r: str) -> str:
    """`repr` text of a float rewritten without an exponent, trailing `.0` dropped."""
    neg = r.startswith("-")
    body = r[1:] if neg else r
    mant, _, exp_s = body.partition("e")
    exp = int(exp_s) if exp_s else 0
    intpart, _, frac = mant.partition(".")
    digits = intpart + frac
    point = len(intpart) + exp  # position of the decimal point within `digits`
    if point <= 0:
        text = "0." + "0" * (-point) + digits
    elif point >= len(digits):
        text = digits + "0" * (point - len(digits))
    else:
        text = digits[:point] + "." + digits[point:]
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    head, dot, tail = text.partition(".")
    head = head.lstrip("0") or "0"
    text = head + dot + tail
    return "-" + text if neg else text


class _Walk:
    """One conversion: floats the stdlib prints like Go stay floats, integral ones become ints,
    the rest become placeholders swapped for Go's text after encoding."""

    __slots__ = ("raw", "nonce")

    def __init__(self) -> None:
        self.raw: list[str] = []
        self.nonce = ""

    def value(self, v: Any) -> Any:
        t = type(v)
        if t is str or t is int or t is bool or v is None:
            return v
        if t is dict:
            return {k: self.value(x) for k, x in v.items()}
        if t is list or t is tuple:
            return [self.value(x) for x in v]
        if isinstance(v, float):
            return self.number(float(v))
        if isinstance(v, dict):
            return {k: self.value(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [self.value(x) for x in v]
        return v

    def number(self, f: float) -> Any:
        if math.isnan(f) or math.isinf(f):
            return f  # the encoder decides (Go refuses these; callers keep their own rule)
        a = abs(f)
        if f.is_integer() and a < 1e16 and (f or math.copysign(1.0, f) > 0):
            return int(f)  # -0.0 is kept for Go's `-0` below
        if 1e-4 <= a < 1e16:
            return f  # repr already matches Go here
        if f and a < 1e21 and f.is_integer():
            return int(go_float_text(f))  # Go's digits padded with zeros, not the binary value
        if not self.nonce:
            self.nonce = secrets.token_hex(8)
        self.raw.append(go_float_text(f))
        return f"\x00{self.nonce}:{len(self.raw) - 1}\x00"

    def restore(self, text: str) -> str:
        if not self.raw:
            return text
        for i, num in enumerate(self.raw):
            token = json.dumps(f"\x00{self.nonce}:{i}\x00")
            text = text.replace(token, num, 1)
        return text


def go_numbers(obj: Any) -> Any:
    """A copy of a JSON-able value with integral floats as ints (for encoders we do not control).

    Floats the stdlib would print in exponent form are left as they are; use `dumps` for those.
    """
    w = _Walk()
    out = w.value(obj)
    if w.raw:  # put the floats back: without `dumps` they cannot be written exactly
        return _undo(out, w)
    return out


def _undo(v: Any, w: _Walk) -> Any:
    if type(v) is str and v.startswith(f"\x00{w.nonce}:"):
        return float(w.raw[int(v[len(w.nonce) + 2 : -1])])
    if type(v) is dict:
        return {k: _undo(x, w) for k, x in v.items()}
    if type(v) is list:
        return [_undo(x, w) for x in v]
    return v


def dumps(obj: Any, **kwargs: Any) -> str:
    """`json.dumps` with Go's number text; keyword arguments are `json.dumps`'s."""
    w = _Walk()
    text = json.dumps(w.value(obj), **kwargs)
    return w.restore(text)
