"""Helpers for handler kinds backed by a configured service: sections, auth, templates, options."""

from __future__ import annotations

from typing import Any

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers.base import (
    section_field,
)
from kapacitrio.tick.gotemplate import GoMap


def first(*values: Any) -> Any:
    """The first value that is set (non-empty)."""
    for v in values:
        if v not in (None, "", [], {}):
            return v
    return values[-1] if values else None


def tls_verify(section: Any) -> bool:
    """Whether to check the service's TLS certificate (`insecure-skip-verify` turns it off)."""
    return not section_field(section, "insecure_skip_verify", False)


def basic_auth(section: Any) -> tuple[str, str] | None:
    """The section's username and password, or None when it names no user."""
    user = section_field(section, "username", "")
    return (user, section_field(section, "password", "")) if user else None


def event_template_data(event: Event, **extra: Any) -> dict[str, Any]:
    """What handler option templates see: the event's identity, tags and level, plus `extra`."""
    return {
        "ID": event.state.id,
        "Name": event.data.name,
        "TaskName": event.data.task_name,
        "Group": event.data.group,
        "Tags": GoMap(event.data.tags, zero=""),
        "Level": levels.name(event.state.level),
        **extra,
    }


def result_json(event: Event) -> str:
    """The event's result as Go's json.Marshal writes a models.Result (empty tags left out)."""
    from kapacitrio.tick.gotemplate import GoStruct, go_json

    result = event.data.result or {}
    series = result.get("series")
    rows = []
    for r in series or []:
        row = {k: v for k, v in r.items() if not (k == "tags" and not v)}
        rows.append(GoStruct(row))
    body = {"series": rows} if rows else {}
    if result.get("messages"):
        body["messages"] = result["messages"]
    return go_json(GoStruct(body))


def template_data(event: Event) -> dict[str, Any]:
    """What handler option templates see: the event's identity, tags, fields, level and times."""
    from kapacitrio.tick.gotemplate import GoDuration, GoTime

    return event_template_data(
        event,
        Fields=GoMap(event.data.fields),
        Time=GoTime(event.state.time),
        Duration=GoDuration(event.state.duration),
        Message=event.state.message,
        Details=event.state.details,
        Recoverable=event.data.recoverable,
    )


def client_url(env: Any) -> str:
    """The Kapacitor API URL handlers report as their client (`http://host:port/kapacitor/v1`)."""
    base = str(getattr(env, "server_url", "") or "http://localhost:9092").rstrip("/")
    return base if base.endswith("/kapacitor/v1") else base + "/kapacitor/v1"


def rfc3339_nano_fixed(ns: int) -> str:
    """Go's `2006-01-02T15:04:05.000000000Z07:00`: always nine fractional digits, UTC."""
    import datetime

    secs, frac = divmod(ns, 1_000_000_000)
    t = datetime.datetime.fromtimestamp(secs, datetime.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{frac:09d}Z"
