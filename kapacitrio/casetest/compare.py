"""Comparing outputs with a conformance case's expectations (results, alert bodies, requests)."""

from __future__ import annotations

import json
import math
from typing import Any

from kapacitrio.casetest.receivers import Request

REL_TOL = 1e-9
ALERT_KEYS = (
    "id",
    "message",
    "details",
    "time",
    "duration",
    "level",
    "previousLevel",
    "recoverable",
)


def brief(value: Any, limit: int = 160) -> str:
    """Short JSON text of a value for failure reasons."""
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def same_value(got: Any, exp: Any) -> bool:
    """Numbers by relative tolerance (int and float alike), booleans and the rest exactly."""
    if isinstance(got, bool) or isinstance(exp, bool):
        return type(got) is type(exp) and got == exp
    if isinstance(got, int | float) and isinstance(exp, int | float):
        if got == exp:
            return True
        if (
            isinstance(got, float)
            and isinstance(exp, float)
            and math.isnan(got)
            and math.isnan(exp)
        ):
            return True
        return math.isclose(got, exp, rel_tol=REL_TOL, abs_tol=0.0)
    return type(got) is type(exp) and got == exp


def diff_series(got: dict[str, Any], exp: dict[str, Any], where: str) -> str | None:
    """First difference between two series, or None."""
    for key, empty in (("name", ""), ("tags", {}), ("columns", [])):
        g, e = got.get(key) or empty, exp.get(key) or empty
        if g != e:
            return f"{where}.{key}: got {brief(g)} exp {brief(e)}"
    gv, ev = got.get("values") or [], exp.get("values") or []
    if len(gv) != len(ev):
        return f"{where}.values: got {len(gv)} rows exp {len(ev)}: got {brief(gv)}"
    for i, (grow, erow) in enumerate(zip(gv, ev, strict=True)):
        if not isinstance(grow, list) or len(grow) != len(erow):
            return f"{where}.values[{i}]: got {brief(grow)} exp {brief(erow)}"
        for j, (a, b) in enumerate(zip(grow, erow, strict=True)):
            if not same_value(a, b):
                return f"{where}.values[{i}][{j}]: got {brief(a)} exp {brief(b)}"
    return None


def diff_result(
    got: Any, exp: dict[str, Any], ignore_order: bool = False, where: str = "result"
) -> str | None:
    """First difference between two Result objects (series order optional), or None."""
    if not isinstance(got, dict):
        return f"{where}: not an object: {brief(got)}"
    if got.get("error") and not exp.get("error"):
        return f"{where}: error {brief(got['error'])}"
    if exp.get("error") and got.get("error") != exp.get("error"):
        return f"{where}.error: got {brief(got.get('error'))} exp {brief(exp['error'])}"
    gs, es = got.get("series") or [], exp.get("series") or []
    if len(gs) != len(es):
        return f"{where}: got {len(gs)} series exp {len(es)}: {brief(gs, 400)}"
    if not ignore_order:
        for i, (g, e) in enumerate(zip(gs, es, strict=True)):
            d = diff_series(g, e, f"{where}.series[{i}]")
            if d:
                return d
        return None
    left = list(range(len(gs)))
    for i, e in enumerate(es):
        key = (e.get("name") or "", e.get("tags") or {})
        match = next(
            (j for j in left if (gs[j].get("name") or "", gs[j].get("tags") or {}) == key), None
        )
        if match is None:
            return f"{where}: no series named {brief(key[0])} with tags {brief(key[1])}"
        left.remove(match)
        d = diff_series(gs[match], e, f"{where}.series[{i}]")
        if d:
            return d
    return None


def diff_alert(
    got: Any, exp: dict[str, Any], where: str, ignore: tuple[str, ...] = ()
) -> str | None:
    """Compare an alert body with an expected one (every key the expectation gives)."""
    if not isinstance(got, dict):
        return f"{where}: not an object"
    for key in ALERT_KEYS:
        if key not in exp or key in ignore:
            continue
        g, e = got.get(key), exp[key]
        if key == "duration":
            ok = isinstance(g, int | float) and not isinstance(g, bool) and g == e
        else:
            ok = type(g) is type(e) and g == e
        if not ok:
            return f"{where}.{key}: got {brief(g)} exp {brief(e)}"
    if "data" not in ignore and exp.get("data") is not None:
        return diff_result(got.get("data") or {}, exp["data"], False, where + ".data")
    return None


def _decode(body: bytes) -> Any:
    return json.loads(body.decode("utf-8") or "null")


def diff_body(
    kind: str, body: bytes, exp: Any, where: str, ignore: tuple[str, ...] = ()
) -> str | None:
    """Compare one request body: `alert`, `result` or `any`."""
    if exp is None or kind == "any":
        return None
    try:
        got = _decode(body)
    except (ValueError, UnicodeDecodeError):
        return f"{where}: body is not JSON: {body[:80]!r}"
    if kind == "alert":
        return diff_alert(got, exp, where, ignore)
    return diff_result(got, exp, False, where)


def check_requests(
    items: list[Request],
    exp: dict[str, Any],
    prefix: str,
    kind: str,
    ordered: bool,
    ignore: tuple[str, ...] = (),
) -> str | None:
    """Compare recorded requests with `{count, requests, headers}`; None when they match."""
    count = exp.get("count")
    if count is not None and len(items) != count:
        return f"requests: got {len(items)} exp {count}"
    reqs = exp.get("requests")
    if reqs is None:
        return None
    if len(items) != len(reqs):
        return f"requests: got {len(items)} exp {len(reqs)}"
    headers = exp.get("headers") or {}

    def one(item: Request, e: Any, where: str) -> str | None:
        if e is None:
            return None
        body_exp = e
        if isinstance(e, dict) and "body" in e and set(e) <= {"url", "body", "path"}:
            rel = item.path[len(prefix) :]
            want = e.get("url", e.get("path"))
            if want is not None and rel != want:
                return f"{where}.url: got {rel!r} exp {want!r}"
            body_exp = e["body"]
        low = {k.lower(): v for k, v in item.headers.items()}
        for k, v in headers.items():
            if low.get(k.lower()) != v:
                return f"{where}.header {k}: got {low.get(k.lower())!r} exp {v!r}"
        return diff_body(kind, item.body, body_exp, where, ignore)

    if ordered:
        for i, (item, e) in enumerate(zip(items, reqs, strict=True)):
            d = one(item, e, f"requests[{i}]")
            if d:
                return d
        return None
    left = list(range(len(items)))
    for i, e in enumerate(reqs):
        first = None
        for j in left:
            d = one(items[j], e, f"requests[{i}]")
            if d is None:
                left.remove(j)
                break
            first = first or d
        else:
            return f"requests (any order): nothing matches #{i}: {first}"
    return None
