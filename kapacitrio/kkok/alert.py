"""The kkok alert: its fields, validation and JSON form."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from kapacitrio.kkok.errors import KkokError
from kapacitrio.models.timefmt import format_rfc3339, parse_rfc3339

MAX_FROM = 100
MAX_TITLE = 250


@dataclass
class Alert:
    """One alert; `stats` is computed by filters and never read from or written to JSON."""

    from_: str
    title: str
    date: int
    host: str = ""
    message: str = ""
    routes: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    sub: list[Alert] = field(default_factory=list)
    stats: dict[str, float] = field(default_factory=dict)

    def clone(self) -> Alert:
        return copy.deepcopy(self)

    def to_json(self, *, with_stats: bool = False) -> dict[str, Any]:
        """The JSON object kkok clients see (field names capitalised as in kkok)."""
        doc: dict[str, Any] = {
            "From": self.from_,
            "Date": format_rfc3339(self.date),
            "Host": self.host,
            "Title": self.title,
        }
        if self.message:
            doc["Message"] = self.message
        doc["Routes"] = list(self.routes)
        doc["Info"] = self.info
        if self.sub:
            doc["Sub"] = [a.to_json(with_stats=with_stats) for a in self.sub]
        if with_stats:
            doc["Stats"] = dict(self.stats)
        return doc

    def __str__(self) -> str:
        return f"[{self.from_}@{self.host}] {self.title}"


def _one_line(name: str, value: Any, limit: int) -> str:
    if value is None:
        raise KkokError(f"alert: {name} is required")
    if not isinstance(value, str):
        raise KkokError(f"alert: {name} must be a string")
    if not value:
        raise KkokError(f"alert: {name} is required")
    if len(value) > limit:
        raise KkokError(f"alert: {name} is longer than {limit} characters")
    if "\n" in value or "\r" in value:
        raise KkokError(f"alert: {name} must be one line")
    return value


def _opt_str(doc: dict[str, Any], name: str) -> str:
    value = doc.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise KkokError(f"alert: {name} must be a string")
    return value


def _date(doc: dict[str, Any], now_ns: int) -> int:
    value = doc.get("Date")
    if value is None or value == "":
        return now_ns
    if not isinstance(value, str):
        raise KkokError("alert: Date must be an RFC3339 string")
    try:
        return parse_rfc3339(value)
    except ValueError:
        raise KkokError(f"alert: Date is not an RFC3339 time: {value!r}") from None


def _routes(doc: dict[str, Any]) -> list[str]:
    value = doc.get("Routes")
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
        raise KkokError("alert: Routes must be a list of strings")
    return list(value)


def _stats(doc: dict[str, Any]) -> dict[str, float]:
    value = doc.get("Stats")
    if not isinstance(value, dict):
        return {}
    return {
        k: float(v)
        for k, v in value.items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    }


def alert_from_json(
    doc: Any, *, now_ns: int, default_host: str = "", allow_stats: bool = False
) -> Alert:
    """Build an alert from its JSON object, raising `KkokError` with a clear text when bad."""
    if not isinstance(doc, dict):
        raise KkokError("alert must be a JSON object")
    info = doc.get("Info")
    if info is None:
        info = {}
    if not isinstance(info, dict):
        raise KkokError("alert: Info must be a JSON object")
    sub = doc.get("Sub")
    if sub is None:
        sub = []
    if not isinstance(sub, list):
        raise KkokError("alert: Sub must be a list of alerts")
    return Alert(
        from_=_one_line("From", doc.get("From"), MAX_FROM),
        title=_one_line("Title", doc.get("Title"), MAX_TITLE),
        date=_date(doc, now_ns),
        host=_opt_str(doc, "Host") or default_host,
        message=_opt_str(doc, "Message"),
        routes=_routes(doc),
        info=info,
        sub=[alert_from_json(s, now_ns=now_ns, allow_stats=allow_stats) for s in sub],
        stats=_stats(doc) if allow_stats else {},
    )
