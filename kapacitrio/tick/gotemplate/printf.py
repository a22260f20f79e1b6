"""Go's fmt.Sprintf verbs as used by the template printf function."""

from __future__ import annotations

import math
import re
from typing import Any

from kapacitrio.tick.gotemplate.formatting import go_str, go_type
from kapacitrio.tick.gotemplate.gotypes import NO_VALUE, GoDuration, GoTime
from kapacitrio.tick.values import go_float, go_quote

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
