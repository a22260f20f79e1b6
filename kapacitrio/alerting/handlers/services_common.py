"""Helpers for handler kinds backed by a configured service: sections, auth, templates, options."""

from __future__ import annotations

from typing import Any

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers.base import (
    HandlerEnv,
    HandlerFailed,
    pick_section,
    section_field,
)
from kapacitrio.tick.gotemplate import GoMap


def enabled_section(env: HandlerEnv, name: str, key_field: str = "", which: str = "") -> Any:
    """The (list element of the) section for this handler; HandlerFailed when disabled or missing."""
    sec = env.section(name)
    if key_field:
        sec = pick_section(sec, key_field, which)
    if sec is None:
        if which:
            raise HandlerFailed(f"{name}: no configuration named {which!r}")
        raise HandlerFailed(f"{name} service is not configured")
    if not section_field(sec, "enabled", False):
        raise HandlerFailed(f"{name} service is not enabled")
    return sec


def first(*values: Any) -> Any:
    """The first value that is set (non-empty)."""
    for v in values:
        if v not in (None, "", [], {}):
            return v
    return values[-1] if values else None


def required_url(section: Any, kind: str) -> str:
    """The section's `url`; HandlerFailed when it is empty."""
    url = section_field(section, "url", "")
    if not url:
        raise HandlerFailed(f"{kind}: no url configured")
    return url


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


def string_props(props: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """Handler options from TICKscript properties: `names` maps a property to its option."""
    return {option: props.get(prop, "") for prop, option in names.items()}
