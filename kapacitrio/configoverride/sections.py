"""Which config sections the API may override, their option names, element keys and redaction."""

from __future__ import annotations

import dataclasses
from typing import Any

from kapacitrio import config
from kapacitrio.config import SectionInfo, duration_ns
from kapacitrio.tick.values import go_duration

#: Server plumbing: read once at startup, so not offered for overriding (as in Kapacitor).
NOT_OVERRIDABLE = frozenset(
    {"http", "auth", "storage", "replay", "task", "logging", "config-override", "udf", "udp"}
)

#: The option naming each element of a list section, when the dataclass has no `ELEMENT_KEY`.
ELEMENT_KEYS = {
    "influxdb": "name",
    "slack": "workspace",
    "discord": "workspace",
    "httppost": "endpoint",
    "mqtt": "name",
}


def overridable() -> dict[str, SectionInfo]:
    """Every overridable section by name, sorted by name."""
    found = config.sections()
    return {n: found[n] for n in sorted(found) if n not in NOT_OVERRIDABLE}


def lookup(name: str) -> SectionInfo | None:
    """The overridable section `name`, or None."""
    return overridable().get(name)


def option_name(field_name: str) -> str:
    """The API spelling of a dataclass field: `icon_emoji` -> `icon-emoji`, `global_` -> `global`."""
    return field_name.rstrip("_").replace("_", "-")


def options(cls: type) -> dict[str, str]:
    """API option name -> dataclass field name, in field order."""
    return {option_name(f.name): f.name for f in dataclasses.fields(cls)}


def element_key(info: SectionInfo) -> str:
    """The option naming a list section's elements; "" for a section that is not a list."""
    if not info.many:
        return ""
    return getattr(info.cls, "ELEMENT_KEY", None) or ELEMENT_KEYS.get(info.name, "name")


def element_id(info: SectionInfo, element: Any) -> str:
    """An element's name (the value of its element key); "" for a single section."""
    key = element_key(info)
    if not key:
        return ""
    value = getattr(element, options(info.cls).get(key, key), "")
    return value if isinstance(value, str) else str(value)


def elements(info: SectionInfo, value: Any) -> list[Any]:
    """A section's value as a list of elements."""
    return list(value) if info.many else [value]


def redacted(obj: Any) -> tuple[dict[str, Any], list[str]]:
    """An element's options with secrets replaced by whether they are set, and the secret names."""
    secrets = set(getattr(type(obj), "SECRETS", ()))
    shown: dict[str, Any] = {}
    hidden: list[str] = []
    for f in dataclasses.fields(obj):
        name = option_name(f.name)
        value = getattr(obj, f.name)
        if f.name in secrets:
            hidden.append(name)
            value = bool(value)
        elif isinstance(value, str) and value and is_duration_field(type(obj), f.name):
            value = go_form(value)
        shown[name] = value
    return dict(sorted(shown.items())), hidden


def is_duration_field(cls: type, field_name: str) -> bool:
    """A text field whose default is a Go duration (`timeout = "0s"`) holds a duration."""
    default = next(f.default for f in dataclasses.fields(cls) if f.name == field_name)
    if not isinstance(default, str) or not default:
        return False
    try:
        duration_ns(default)
    except ValueError:
        return False
    return True


def go_form(text: str) -> str:
    """A duration as Kapacitor reads it back (`90s` -> `1m30s`); other text unchanged."""
    try:
        return go_duration(duration_ns(text))
    except ValueError:
        return text
