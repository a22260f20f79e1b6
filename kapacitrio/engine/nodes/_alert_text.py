"""The alert node's default message and details, rendered without the template engine.

`{{ .ID }} is {{ .Level }}` and the HTML-escaped `{{ json . }}` of the details data give exactly
what the templates give; the part of the JSON that depends only on the event's measurement, group,
tags and ID is built once and reused for the group's next events.
"""

from __future__ import annotations

from typing import Any

from kapacitrio.models.timefmt import format_rfc3339
from kapacitrio.tick.gotemplate import GoMap, GoStruct, go_json, html_escape

DEFAULT_MESSAGE = "{{ .ID }} is {{ .Level }}"
DEFAULT_DETAILS = "{{ json . }}"

#: Distinct (ID, group, name, tags) heads kept before the cache starts over.
HEAD_CACHE_SIZE = 10_000

#: Distinct event times whose RFC3339 text is kept (the alert nodes of many tasks see the same times).
TIME_CACHE_SIZE = 4096

_time_texts: dict[int, str] = {}


def time_text(t: int) -> str:
    """`format_rfc3339(t)`, remembered for recent times."""
    text = _time_texts.get(t)
    if text is None:
        if len(_time_texts) >= TIME_CACHE_SIZE:
            _time_texts.clear()
        text = _time_texts[t] = format_rfc3339(t)
    return text


def default_message(event_id: str, level_name: str) -> str:
    """The default message template's text."""
    return f"{event_id} is {level_name}"


class DefaultDetails:
    """The default details template of one alert node (an HTML template of `{{ json . }}`)."""

    def __init__(self, task_name: str, server_info: GoStruct) -> None:
        self._mid = f',"TaskName":{go_json(task_name)},'
        self._server_info = f',"ServerInfo":{go_json(server_info)},"ID":'
        self._heads: dict[tuple[Any, ...], tuple[str, str]] = {}

    def render(
        self,
        event_id: str,
        name: str,
        group: str,
        tags: dict[str, str],
        fields: dict[str, Any],
        level_name: str,
        t: int,
        duration: int,
        message: str,
    ) -> str:
        """The details text; raises `TickError` where the template would fail (e.g. a NaN field)."""
        key = (event_id, group, name, *tags.items())
        cached = self._heads.get(key)
        if cached is None:
            cached = self._head(event_id, name, group, tags)
            if len(self._heads) >= HEAD_CACHE_SIZE:
                self._heads.clear()
            self._heads[key] = cached
        head, id_prefix = cached
        if message == f"{event_id} is {level_name}":  # the default message: extend the ID's JSON
            message_json = f"{id_prefix} is {level_name}&#34;"
        else:
            message_json = html_escape(go_json(message))
        # Only the fields and the message can hold characters to escape: the level name, the time
        # and the duration cannot, and the keys are written here already escaped.
        return (
            f"{head}&#34;Fields&#34;:{html_escape(go_json(fields))},"
            f"&#34;Level&#34;:&#34;{level_name}&#34;,&#34;Time&#34;:&#34;{time_text(t)}&#34;,"
            f"&#34;Duration&#34;:{int(duration)},&#34;Message&#34;:{message_json}}}\n"
        )  # the template's json function ends with a newline, like Go's json.Encoder

    def _head(self, event_id: str, name: str, group: str, tags: dict[str, str]) -> tuple[str, str]:
        """(escaped JSON up to the fields, escaped JSON of the ID without its closing quote)."""
        id_json = go_json(event_id)
        text = (
            f'{{"Name":{go_json(name)}{self._mid}"Group":{go_json(group or "nil")},'
            f'"Tags":{go_json(GoMap(tags, zero=""))}{self._server_info}{id_json},'
        )
        return html_escape(text), html_escape(id_json[:-1])
