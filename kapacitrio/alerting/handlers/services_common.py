"""Helpers for handler kinds backed by a configured service: sections, enabled checks, levels."""

from __future__ import annotations

from typing import Any

from kapacitrio.alerting.handlers.base import HandlerEnv, HandlerFailed, pick_section, section_field


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
