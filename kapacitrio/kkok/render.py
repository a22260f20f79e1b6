"""Text of an alert for transports: a plain default layout, or a user's Go text template file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kapacitrio.kkok.alert import Alert
from kapacitrio.kkok.errors import KkokError
from kapacitrio.models.timefmt import format_rfc3339
from kapacitrio.tick.gotemplate import Template


def template_data(alert: Alert) -> dict[str, Any]:
    """The data a template sees: the alert's fields by their kkok names."""
    return {
        "From": alert.from_,
        "Title": alert.title,
        "Date": format_rfc3339(alert.date),
        "Host": alert.host,
        "Message": alert.message,
        "Routes": list(alert.routes),
        "Info": alert.info,
        "Stats": alert.stats,
        "Sub": [template_data(s) for s in alert.sub],
    }


def default_text(alert: Alert, indent: str = "") -> str:
    """A readable multi-line rendering of an alert and its grouped sub-alerts."""
    lines = [
        f"{indent}{alert.title}",
        f"{indent}From: {alert.from_}",
        f"{indent}Host: {alert.host}",
        f"{indent}Date: {format_rfc3339(alert.date)}",
    ]
    if alert.info:
        lines.append(f"{indent}Info: {json.dumps(alert.info, sort_keys=True)}")
    if alert.message:
        lines.append("")
        lines.extend(indent + line for line in alert.message.splitlines())
    for i, sub in enumerate(alert.sub, 1):
        lines.append("")
        lines.append(f"{indent}--- alert {i} of {len(alert.sub)} ---")
        lines.append(default_text(sub, indent))
    return "\n".join(lines)


class TextTemplate:
    """A Go text/template read from a file, rendered with `template_data`."""

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise KkokError(f"cannot read template {path}: {exc.strerror}") from None
        try:
            self._tpl = Template(text)
        except Exception as exc:
            raise KkokError(f"bad template {path}: {exc}") from None

    def render(self, alert: Alert) -> str:
        try:
            return self._tpl.render(template_data(alert))
        except Exception as exc:
            raise KkokError(f"template {self.path} failed: {exc}") from None


def load_template(path: str) -> TextTemplate | None:
    return TextTemplate(path) if path else None


def alert_text(alert: Alert, template: TextTemplate | None) -> str:
    return template.render(alert) if template else default_text(alert)
