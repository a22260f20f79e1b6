"""Task and template identity: store kinds, id rules, links and timestamps."""

from __future__ import annotations

import time

from kapacitrio.models.timefmt import format_rfc3339
from kapacitrio.tasks.errors import Invalid
from kapacitrio.tick.values import go_quote

TASKS = "tasks"
TEMPLATES = "templates"
TYPES = ("stream", "batch")
ZERO_TIME = "0001-01-01T00:00:00Z"
BASE = "/kapacitor/v1"

#: Longest id accepted (Kapacitor sets none; a bound keeps keys and URLs sane).
MAX_ID_LENGTH = 255


def check_id(what: str, text: str) -> None:
    """Raise `Invalid` with Kapacitor's message unless `text` is a valid task/template id."""
    if len(text) > MAX_ID_LENGTH:
        raise Invalid(f"{what} ID must be at most {MAX_ID_LENGTH} characters long")
    if not valid_id(text):
        raise Invalid(
            f"{what} ID must contain only letters, numbers, '-', '.' and '_'. {go_quote(text)}"
        )


def valid_id(text: str) -> bool:
    """Kapacitor's id rule `^[-\\._\\p{L}0-9]+$`: letters (any script), ASCII digits, `-`, `.`, `_`."""
    return 0 < len(text) <= MAX_ID_LENGTH and all(
        c.isalpha() or c in "-._" or "0" <= c <= "9" for c in text
    )


def now_text() -> str:
    return format_rfc3339(time.time_ns())


def task_link(task_id: str) -> dict[str, str]:
    return {"rel": "self", "href": f"{BASE}/tasks/{task_id}"}


def template_link(template_id: str) -> dict[str, str]:
    return {"rel": "self", "href": f"{BASE}/templates/{template_id}"}
