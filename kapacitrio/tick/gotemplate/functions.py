"""The built-in template functions (eq, index, printf, json, ...) and Go truth."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from typing import Any

from kapacitrio.tick.gotemplate.errors import TemplateError
from kapacitrio.tick.gotemplate.escape import _js_escape, _text_html_escape
from kapacitrio.tick.gotemplate.formatting import go_type
from kapacitrio.tick.gotemplate.gojson import go_json
from kapacitrio.tick.gotemplate.gotypes import NO_VALUE, GoMap
from kapacitrio.tick.gotemplate.printf import _format_one, go_sprintf


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
