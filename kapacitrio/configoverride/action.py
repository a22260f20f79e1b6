"""A POST to `/config/<section>/[<element>]`: its `set`/`delete`/`add`/`remove` parts, checked."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kapacitrio.configoverride.merge import OverrideError

_NAME = re.compile(r"[-\w+]+")
_KEYS = ("set", "delete", "add", "remove")


@dataclass
class UpdateAction:
    """One update request; `has_element` is whether the path named an element (or ended in `/`)."""

    section: str
    element: str = ""
    has_element: bool = False
    set: dict[str, Any] = field(default_factory=dict)
    delete: list[str] = field(default_factory=list)
    add: dict[str, Any] = field(default_factory=dict)
    remove: list[str] = field(default_factory=list)


def decode(section: str, element: str, has_element: bool, body: Any) -> UpdateAction:
    """Build an action from the decoded JSON body (OverrideError 400 when its shape is wrong)."""
    if not isinstance(body, dict):
        raise OverrideError(f"failed to decode JSON: expected an object, got {_kind(body)}")
    unknown = sorted(k for k in body if k not in _KEYS)
    if unknown:
        raise OverrideError(f"failed to decode JSON: unknown key(s) {', '.join(unknown)}")
    action = UpdateAction(section, element, has_element)
    for key in ("set", "add"):
        value = body.get(key)
        if value is not None and not isinstance(value, dict):
            raise OverrideError(f'failed to decode JSON: "{key}" must be an object')
        setattr(action, key, dict(value or {}))
    for key in ("delete", "remove"):
        value = body.get(key)
        if value is not None and (
            not isinstance(value, list) or not all(isinstance(v, str) for v in value)
        ):
            raise OverrideError(f'failed to decode JSON: "{key}" must be a list of strings')
        setattr(action, key, list(value or []))
    return action


def _kind(value: Any) -> str:
    return {list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number"
    )


def validate(a: UpdateAction) -> None:
    """Kapacitor's checks of an update action (raised as `invalid update action: ...`)."""
    problem = _problem(a)
    if problem:
        raise OverrideError(f"failed to apply update: invalid update action: {problem}")


def _problem(a: UpdateAction) -> str:
    if not a.section:
        return "must provide section name"
    if not _NAME.fullmatch(a.section):
        return f'invalid section name "{a.section}"'
    if a.element and not _NAME.fullmatch(a.element):
        return f'invalid element name "{a.element}"'
    changes, listing = bool(a.set or a.delete), bool(a.add or a.remove)
    if changes and listing:
        return "cannot provide both set/delete and add/remove actions in the same update"
    if a.add and a.element:
        return "must not provide an element name when adding an a new override"
    if a.remove and a.element:
        return "must not provide element when removing an override"
    if not listing and not a.has_element:
        return "element not specified, are you missing a trailing '/'?"
    if not changes and not listing:
        return "no action specified"
    return ""
