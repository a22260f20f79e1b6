"""The alert event model: state, data, and the JSON bodies handlers send."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kapacitrio.alerting import levels
from kapacitrio.models.timefmt import format_rfc3339
from kapacitrio.tick.gotemplate import GoStruct, go_json
from kapacitrio.tick.values import format_duration


@dataclass(slots=True)
class EventState:
    """What a topic remembers of one alert ID."""

    id: str
    message: str = ""
    details: str = ""
    time: int = 0
    duration: int = 0
    level: int = levels.OK

    def to_doc(self) -> dict[str, Any]:
        """Storage form."""
        return {
            "id": self.id,
            "message": self.message,
            "details": self.details,
            "time": self.time,
            "duration": self.duration,
            "level": self.level,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> EventState:
        return cls(
            doc["id"],
            doc.get("message", ""),
            doc.get("details", ""),
            int(doc.get("time", 0)),
            int(doc.get("duration", 0)),
            int(doc.get("level", 0)),
        )

    def to_api(self) -> dict[str, Any]:
        """The `state` object of the topic events API (duration as a TICKscript-style duration)."""
        return {
            "level": levels.name(self.level),
            "message": self.message,
            "details": self.details,
            "time": format_rfc3339(self.time),
            "duration": format_duration(self.duration),
        }


@dataclass(slots=True)
class EventData:
    """The data an alert node attaches to an event."""

    name: str = ""
    task_name: str = ""
    category: str = ""
    group: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)
    recoverable: bool = True
    result: dict[str, Any] = field(default_factory=lambda: {"series": None})


@dataclass(slots=True)
class Event:
    """One alert event on its way to a topic."""

    topic: str
    state: EventState
    data: EventData
    previous_level: int = levels.OK
    no_external: bool = False

    def alert_json(self) -> dict[str, Any]:
        """Kapacitor's alert body (post, tcp, log, exec): key order as Kapacitor sends it."""
        s = self.state
        return {
            "id": s.id,
            "message": s.message,
            "details": s.details,
            "time": format_rfc3339(s.time),
            "duration": s.duration,
            "level": levels.name(s.level),
            "data": self.data.result,
            "previousLevel": levels.name(self.previous_level),
            "recoverable": self.data.recoverable,
        }

    def alert_text(self) -> str:
        """The alert body encoded as Kapacitor's JSON encoder writes it (HTML-safe, newline)."""
        body = self.alert_json()
        data = body["data"]
        if isinstance(data, dict) and data.get("series"):
            rows = [GoStruct(r) if isinstance(r, dict) else r for r in data["series"]]
            data = GoStruct({"series": rows, **{k: v for k, v in data.items() if k != "series"}})
        body["data"] = data
        return go_json(GoStruct(body)) + "\n"

    def copy_to(self, topic: str) -> Event:
        """The same event addressed to another topic."""
        return Event(topic, self.state, self.data, self.previous_level, self.no_external)
