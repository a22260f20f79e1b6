"""JavaScript conditions and code for filters, run in an embedded QuickJS engine with a time limit."""

from __future__ import annotations

import json
from typing import Any

import quickjs

from kapacitrio.kkok.alert import Alert, alert_from_json
from kapacitrio.kkok.errors import KkokError

DEFAULT_TIME_LIMIT = 1.0
MEMORY_LIMIT = 64 * 1024 * 1024

_PRELUDE = """
function __kkok_in(a) {
  a.Date = new Date(a.Date);
  if (Array.isArray(a.Sub)) { a.Sub.forEach(__kkok_in); }
  return a;
}
function __kkok_out(v) { return JSON.stringify(v === undefined ? null : v); }
"""


class JSError(KkokError):
    """A JavaScript snippet failed to compile or to run."""


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _alert_json(alert: Alert) -> str:
    return json.dumps(alert.to_json(with_stats=True))


class JSEngine:
    """One QuickJS context shared by every snippet; each call is limited to `time_limit` seconds."""

    def __init__(self, time_limit: float = DEFAULT_TIME_LIMIT) -> None:
        self.time_limit = time_limit
        self._ctx = quickjs.Context()
        self._ctx.set_memory_limit(MEMORY_LIMIT)
        self._ctx.set_time_limit(time_limit)
        self._ctx.eval(_PRELUDE)

    def _compile(self, what: str, source: str, body: str) -> Any:
        if not isinstance(source, str) or not source.strip():
            raise JSError(f"empty JavaScript {what}")
        if "\x00" in source:
            raise JSError(f"bad JavaScript {what} {source!r}: a NUL character is not allowed")
        try:
            return self._ctx.eval(body)
        except (ValueError, UnicodeEncodeError) as exc:  # QuickJS takes UTF-8 C strings only
            raise JSError(f"bad JavaScript {what} {source!r}: {exc}") from None
        except quickjs.JSException as exc:
            raise JSError(f"bad JavaScript {what} {source!r}: {_first_line(exc)}") from None

    def expression(self, source: str) -> JSExpression:
        """Compile an expression evaluated with `alert` (one alert) or `alerts` (an array) bound."""
        func = self._compile(
            "expression",
            source,
            "(function(__kkok_json, __kkok_all) {\n"
            "  var alert, alerts;\n"
            "  if (__kkok_all) { alerts = JSON.parse(__kkok_json).map(__kkok_in); }\n"
            "  else { alert = __kkok_in(JSON.parse(__kkok_json)); }\n"
            f"  return __kkok_out(({source}\n));\n"
            "})",
        )
        return JSExpression(source, func)

    def code(self, source: str) -> JSCode:
        """Compile statements that may change `alert`; running them returns the changed alert."""
        func = self._compile(
            "code",
            source,
            "(function(__kkok_json) {\n"
            "  var alert = __kkok_in(JSON.parse(__kkok_json));\n"
            f"  {source}\n"
            ";\n  return __kkok_out(alert);\n"
            "})",
        )
        return JSCode(source, func)


def _call(source: str, func: Any, *args: Any) -> Any:
    try:
        out = func(*args)
    except quickjs.JSException as exc:
        raise JSError(f"JavaScript {source!r} failed: {_first_line(exc)}") from None
    except quickjs.StackOverflow:
        raise JSError(f"JavaScript {source!r} failed: stack overflow") from None
    return None if out is None else json.loads(out)


class JSExpression:
    """A compiled expression."""

    def __init__(self, source: str, func: Any) -> None:
        self.source = source
        self._func = func

    def eval_alert(self, alert: Alert) -> Any:
        return _call(self.source, self._func, _alert_json(alert), False)

    def eval_alerts(self, alerts: list[Alert]) -> Any:
        doc = json.dumps([a.to_json(with_stats=True) for a in alerts])
        return _call(self.source, self._func, doc, True)


class JSCode:
    """Compiled statements that edit an alert."""

    def __init__(self, source: str, func: Any) -> None:
        self.source = source
        self._func = func

    def run(self, alert: Alert) -> Alert:
        """Run the code on a copy of `alert` and return the edited alert (the input is untouched)."""
        out = _call(self.source, self._func, _alert_json(alert))
        try:
            edited = alert_from_json(out, now_ns=alert.date, allow_stats=True)
        except KkokError as exc:
            raise JSError(f"JavaScript {self.source!r} made a bad alert: {exc}") from None
        return _keep_precision(alert, edited)


def _keep_precision(before: Alert, after: Alert) -> Alert:
    """JS Dates have millisecond precision: keep the original ns when the ms did not change."""
    if after.date == before.date - before.date % 1_000_000:
        after.date = before.date
    for old, new in zip(before.sub, after.sub, strict=False):
        _keep_precision(old, new)
    return after
