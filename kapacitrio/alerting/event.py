"""The alert event model: state, data, and the JSON bodies handlers send."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kapacitrio.alerting import levels
from kapacitrio.models.timefmt import format_rfc3339
from kapacitrio.tick.gotemplate import GoStruct, go_json
from kapacitrio.tick.values import format_duration

#: Renders an event's (message, details) when first read; it must not fail.
TextRenderer = Callable[[], tuple[str, str]]


class EventState:
    """What a topic remembers of one alert ID.

    The message and details may be given as a `texts` callable instead: they are rendered on the
    first read of either (a handler, the topics API, the feed or the store), once, and nobody
    notices the difference. Alert nodes pass a renderer only where rendering cannot fail.
    """

    __slots__ = ("id", "_message", "_details", "time", "duration", "level", "_texts")

    def __init__(
        self,
        id: str,
        message: str = "",
        details: str = "",
        time: int = 0,
        duration: int = 0,
        level: int = levels.OK,
        *,
        texts: TextRenderer | None = None,
    ) -> None:
        self.id = id
        self._message = message
        self._details = details
        self.time = time
        self.duration = duration
        self.level = level
        self._texts = texts

    def _render(self) -> None:
        texts, self._texts = self._texts, None
        if texts is not None:
            self._message, self._details = texts()

    @property
    def message(self) -> str:
        if self._texts is not None:
            self._render()
        return self._message

    @message.setter
    def message(self, value: str) -> None:
        self._render()
        self._message = value

    @property
    def details(self) -> str:
        if self._texts is not None:
            self._render()
        return self._details

    @details.setter
    def details(self, value: str) -> None:
        self._render()
        self._details = value

    @property
    def rendered(self) -> bool:
        """True once the message and details exist as text."""
        return self._texts is None

    def _key(self) -> tuple[Any, ...]:
        return (self.id, self.message, self.details, self.time, self.duration, self.level)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EventState):
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"EventState(id={self.id!r}, message={self.message!r}, details={self.details!r}, "
            f"time={self.time!r}, duration={self.duration!r}, level={self.level!r})"
        )

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


class EventData:
    """The data an alert node attaches to an event.

    `result_of` and `fields_of`, when given, build `result` and `fields` on their first read
    (alert nodes pass them, so an event nobody sends never builds its rows).
    """

    __slots__ = (
        "name",
        "task_name",
        "category",
        "group",
        "tags",
        "_fields",
        "fields_of",
        "recoverable",
        "_result",
        "result_of",
    )

    def __init__(
        self,
        name: str = "",
        task_name: str = "",
        category: str = "",
        group: str = "",
        tags: dict[str, str] | None = None,
        fields: dict[str, Any] | None = None,
        recoverable: bool = True,
        result: dict[str, Any] | None = None,
        result_of: Callable[[], dict[str, Any]] | None = None,
        fields_of: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self.name = name
        self.task_name = task_name
        self.category = category
        self.group = group
        self.tags = {} if tags is None else tags
        self._fields = {} if fields is None else fields
        self.fields_of = fields_of
        self.recoverable = recoverable
        self._result = result if result is not None or result_of is not None else {"series": None}
        self.result_of = result_of

    @property
    def result(self) -> dict[str, Any]:
        if self.result_of is not None:
            self._result, self.result_of = self.result_of(), None
        return self._result  # type: ignore[return-value]

    @property
    def fields(self) -> dict[str, Any]:
        if self.fields_of is not None:
            self._fields, self.fields_of = self.fields_of(), None
        return self._fields

    @fields.setter
    def fields(self, value: dict[str, Any]) -> None:
        self._fields, self.fields_of = value, None

    @result.setter
    def result(self, value: dict[str, Any]) -> None:
        self._result, self.result_of = value, None

    def _key(self) -> tuple[Any, ...]:
        return (
            self.name,
            self.task_name,
            self.category,
            self.group,
            self.tags,
            self.fields,
            self.recoverable,
            self.result,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EventData):
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            "EventData("
            + ", ".join(f"{k}={v!r}" for k, v in zip(_DATA_NAMES, self._key(), strict=True))
            + ")"
        )


_DATA_NAMES = ("name", "task_name", "category", "group", "tags", "fields", "recoverable", "result")


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
