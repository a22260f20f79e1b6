"""Kapacitor alert events as kkok alerts (the `kkok` topic handler's conversion), and back."""

from __future__ import annotations

from typing import Any

from kapacitrio.kkok.alert import MAX_TITLE, Alert


def alert_from_event(event: Any, *, routes: list[str] | None = None, from_: str = "") -> Alert:
    """A kkok alert for a Kapacitor event: From `kapacitor/<task>`, Title the message's first line."""
    from kapacitrio.alerting import levels

    state, data = event.state, event.data
    message = state.message or ""
    first = message.strip().splitlines()[0] if message.strip() else ""
    title = (first or state.id or "alert")[:MAX_TITLE]
    return Alert(
        from_=(from_ or f"kapacitor/{data.task_name or 'unknown'}")[:100],
        title=title,
        date=state.time,
        host=str(data.tags.get("host", "")),
        message=message if message != first else "",
        routes=list(routes or []),
        info={
            "level": levels.name(state.level),
            "id": state.id,
            "tags": dict(data.tags),
            "fields": dict(data.fields),
        },
    )


def event_from_alert(alert: Alert, topic: str = "kkok") -> Any:
    """A Kapacitor event for a kkok alert, so any Kapacitor handler kind can deliver it."""
    from kapacitrio.alerting import levels
    from kapacitrio.alerting.event import Event, EventData, EventState

    try:
        level = levels.parse(str(alert.info.get("level", "CRITICAL")))
    except ValueError:
        level = levels.CRITICAL
    tags = alert.info.get("tags")
    fields = alert.info.get("fields")
    state = EventState(
        id=str(alert.info.get("id") or f"{alert.from_}:{alert.title}"),
        message=alert.title,
        details=alert.message,
        time=alert.date,
        level=level,
    )
    data = EventData(
        name=alert.from_,
        task_name=alert.from_,
        tags=dict(tags) if isinstance(tags, dict) else {"host": alert.host},
        fields=dict(fields) if isinstance(fields, dict) else {},
    )
    return Event(topic, state, data)
