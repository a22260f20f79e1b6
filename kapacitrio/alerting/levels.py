"""Alert levels: OK < INFO < WARNING < CRITICAL, their names and parsing."""

from __future__ import annotations

OK = 0
INFO = 1
WARNING = 2
CRITICAL = 3

NAMES = ("OK", "INFO", "WARNING", "CRITICAL")
_BY_NAME = {n: i for i, n in enumerate(NAMES)}


def name(level: int) -> str:
    """The level's upper-case name."""
    return NAMES[level]


def parse(text: str) -> int:
    """A level from its name (case-insensitive); ValueError with Kapacitor's text otherwise."""
    level = _BY_NAME.get(text.upper())
    if level is None:
        raise ValueError(f"unknown alert level '{text}'")
    return level
