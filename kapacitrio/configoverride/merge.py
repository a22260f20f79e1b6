"""Applying stored overrides to a section's file+environment value, as Kapacitor does."""

from __future__ import annotations

import copy
import typing
from dataclasses import dataclass, field
from typing import Any

from kapacitrio.config import SectionInfo, duration_ns
from kapacitrio.configoverride import sections
from kapacitrio.configoverride.coerce import CoerceError, coerce


class OverrideError(Exception):
    """An override cannot be applied; `message` is the client's error text."""

    http_status = 400

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = status


@dataclass
class Override:
    """The stored override of one element: options set, and whether it created the element."""

    section: str
    element: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    create: bool = False

    @property
    def id(self) -> str:
        return f"{self.section}/{self.element}"

    def to_doc(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "element": self.element,
            "options": self.options,
            "create": self.create,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Override:
        return cls(
            doc["section"],
            doc.get("element", ""),
            dict(doc.get("options") or {}),
            bool(doc.get("create", False)),
        )


def base_value(info: SectionInfo, value: Any) -> Any:
    """A private copy of a section's file value; an empty list section gets its default element.

    Kapacitor's default configuration has one element in each list section, so `/config/slack/`
    names an (unnamed, disabled) element even when the file has no `[[slack]]`.
    """
    value = copy.deepcopy(value)
    if info.many and not value:
        value = [info.cls()]
    return value


def apply(info: SectionInfo, base: Any, overrides: list[Override]) -> Any:
    """The section value with every override applied in id order (base is not modified)."""
    value = copy.deepcopy(base)
    for o in sorted(overrides, key=lambda o: o.id):
        where = f"{o.section}/{'' if o.create else o.element}"
        try:
            value = _apply_one(info, value, o)
        except OverrideError as exc:
            raise OverrideError(
                f"failed to override configuration {where}: {exc.message}", exc.http_status
            ) from None
    return value


def _apply_one(info: SectionInfo, value: Any, o: Override) -> Any:
    if not info.many:
        _set_options(info, value, o.options, allow_key=False)
        _validate(value)
        return value
    key = sections.element_key(info)
    if o.create:
        if any(sections.element_id(info, e) == o.element for e in value):
            raise OverrideError(f"element {o.element!r} already exists")
        element = info.cls()
        _set_options(info, element, o.options, allow_key=True)
        _validate(element)
        return [*value, element]
    for element in value:
        if sections.element_id(info, element) == o.element:
            _set_options(info, element, o.options, allow_key=False)
            _validate(element)
            return value
    raise OverrideError(f"unknown element {o.element!r} ({key}) in section {o.section}", 404)


def _set_options(info: SectionInfo, obj: Any, options: dict[str, Any], *, allow_key: bool) -> None:
    names = sections.options(info.cls)
    unknown = sorted(k for k in options if k not in names)
    if unknown:
        raise OverrideError(f"unknown options [{' '.join(unknown)}] in section {info.name}")
    key = sections.element_key(info)
    types = typing.get_type_hints(info.cls)
    for name, value in options.items():
        if name == key and not allow_key:
            raise OverrideError(f"cannot override element key {name}")
        field_name = names[name]
        try:
            converted = coerce(value, types[field_name])
            _check_duration(info.cls, field_name, converted)
        except CoerceError as exc:
            raise OverrideError(f"cannot set option {name}: {exc}") from None
        setattr(obj, field_name, converted)


def _check_duration(cls: type, field_name: str, value: Any) -> None:
    if isinstance(value, str) and sections.is_duration_field(cls, field_name):
        try:
            duration_ns(value)
        except ValueError:
            raise CoerceError(f'time: invalid duration "{value}"') from None


def _validate(obj: Any) -> None:
    check = getattr(obj, "validate", None)
    if check is None:
        return
    try:
        check()
    except (ValueError, TypeError) as exc:
        raise OverrideError(f"failed validation: {exc}") from None
    except Exception as exc:  # a section's own check failing some other way is still bad input
        raise OverrideError(f"failed validation: {exc}") from None
