"""An alert node's events: IDs, and messages, details and rows rendered only when someone reads them.

With the default message and details templates the texts cannot fail once the fields are known to
be JSON-encodable (no NaN or infinity), so the event carries a renderer instead of the texts; the
topics API, a handler, the feed or the store renders them on first read, byte for byte as the eager
path would. Anything else (a custom template, a non-finite field) is rendered at once, as before,
so a template error still drops the event and counts as the node's error.
"""

from __future__ import annotations

from collections.abc import Callable
from math import isfinite
from typing import Any

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event, EventData, EventState
from kapacitrio.engine.nodes._alert_options import (
    DEFAULT_DETAILS,
    DEFAULT_MESSAGE,
    AlertOptions,
    id_depends_on_group_only,
)
from kapacitrio.engine.nodes._alert_text import DefaultDetails, default_message
from kapacitrio.tick.errors import TickError
from kapacitrio.tick.gotemplate import GoDuration, GoMap, GoStruct, GoTime

#: Distinct (measurement, group) IDs kept before the cache starts over.
ID_CACHE_SIZE = 100_000


def encodable(fields: dict[str, Any]) -> bool:
    """True when `{{ json . }}` can encode these field values (no NaN or infinite float)."""
    for v in fields.values():
        if type(v) is float and not isfinite(v):
            return False
    return True


class EventMaker:
    """Builds one alert node's events; `error` receives the texts of template failures."""

    def __init__(
        self,
        opts: AlertOptions,
        task_id: str,
        server_info: GoStruct,
        error: Callable[[str], None],
    ) -> None:
        self.opts = opts
        self.task_id = task_id
        self.server_info = server_info
        self.error = error
        # IDs that depend only on the measurement and group are rendered once per group.
        self._id_cache: dict[tuple[str, str], str] | None = (
            {} if id_depends_on_group_only(opts.id_tmpl.text) else None
        )
        self._fast_message = opts.message_tmpl.text == DEFAULT_MESSAGE
        self._fast_details = (
            DefaultDetails(task_id, server_info)
            if opts.details_tmpl.text == DEFAULT_DETAILS
            else None
        )
        #: True when every event can defer its texts (given encodable fields).
        self.lazy = self._fast_message and self._fast_details is not None

    # ------------------------------------------------------------------ IDs
    def _id_data(self, name: str, group: str, tags: dict) -> GoStruct:
        return GoStruct(
            {
                "Name": name,
                "TaskName": self.task_id,
                "Group": group or "nil",
                "Tags": GoMap(tags, zero=""),
                "ServerInfo": self.server_info,
            },
            type_name="alert.idInfo",
        )

    @property
    def groups_only(self) -> bool:
        """True when the ID depends only on the measurement and the group."""
        return self._id_cache is not None

    def render_id(self, name: str, group: str, tags: dict, count_errors: bool = True) -> str | None:
        """The event ID, or None (error counted unless told not to) when the ID template fails."""
        cache = self._id_cache
        if cache is not None:
            event_id = cache.get((name, group))
            if event_id is not None:
                return event_id
        try:
            event_id = self.opts.id_tmpl.render(self._id_data(name, group, tags))
        except TickError as exc:
            if count_errors:
                self.error(str(exc))
            return None
        if cache is not None:
            if len(cache) > ID_CACHE_SIZE:
                cache.clear()
            cache[(name, group)] = event_id
        return event_id

    # ------------------------------------------------------------------ texts
    def texts(
        self,
        event_id: str,
        name: str,
        group: str,
        tags: dict,
        fields: dict,
        level: int,
        t: int,
        duration: int,
    ) -> tuple[str, str]:
        """The event's message and details; default templates skip the template engine."""
        fast = self._fast_details
        if self._fast_message:
            lvl = levels.name(level)
            message = default_message(event_id, lvl)
            if fast is not None:
                try:
                    return message, fast.render(
                        event_id, name, group, tags, fields, lvl, t, duration, message
                    )
                except TickError:
                    pass  # the template below words the error
        data = self._id_data(name, group, tags)
        data["ID"] = event_id
        data["Fields"] = GoMap(fields, zero=None)
        data["Level"] = levels.name(level)
        data["Time"] = GoTime(t)
        data["Duration"] = GoDuration(duration)
        data.type_name = "alert.messageInfo"
        message = self.opts.message_tmpl.render(data)
        data["Message"] = message
        data.type_name = "alert.detailsInfo"
        return message, self.opts.details_tmpl.render(data)

    def make(
        self,
        topic: str,
        event_id: str,
        name: str,
        group: str,
        tags: dict,
        fields: dict | Callable[[], dict],
        level: int,
        t: int,
        duration: int,
        result_of: Callable[[], dict],
        encodable_fields: bool | None = None,
    ) -> Event | None:
        """The event, or None (error counted) when its texts cannot be rendered.

        `fields` is the fields dict or a callable giving it; `result_of()` gives the event's data
        row; both are called only when someone reads them. `encodable_fields=True` vouches that
        the fields hold no non-finite float (a columnar caller checks a whole chunk at once).
        """
        opts = self.opts
        fields_of = fields if callable(fields) else None
        edata = EventData(
            name=name,
            task_name=self.task_id,
            category=opts.category,
            group=group,
            tags=tags,
            fields=None if fields_of is not None else fields,
            recoverable=not opts.no_recoveries,
            result_of=lambda: {"series": [result_of()]},
            fields_of=fields_of,
        )
        if self.lazy and (
            encodable_fields or (encodable_fields is None and encodable(edata.fields))
        ):

            def render() -> tuple[str, str]:
                return self.texts(event_id, name, group, tags, edata.fields, level, t, duration)

            state = EventState(event_id, time=t, duration=duration, level=level, texts=render)
        else:
            try:
                message, details = self.texts(
                    event_id, name, group, tags, edata.fields, level, t, duration
                )
            except TickError as exc:
                self.error(str(exc))
                return None
            state = EventState(event_id, message, details, t, duration, level)
        return Event(topic, state, edata)
