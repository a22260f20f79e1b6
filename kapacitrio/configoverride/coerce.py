"""Converting JSON option values to a section field's type, with Kapacitor's error wording."""

from __future__ import annotations

import types
import typing
from typing import Any

from kapacitrio.tick.values import go_quote


class CoerceError(ValueError):
    """A JSON value cannot be stored in an option of the field's type."""


def json_kind(value: Any) -> str:
    """The Go kind name a decoded JSON value has (numbers decode to float64)."""
    if value is None:
        return "invalid"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "slice"
    if isinstance(value, dict):
        return "map"
    return type(value).__name__


def field_kind(typ: Any) -> str:
    """The Go kind name of a field type."""
    origin = typing.get_origin(typ)
    if origin is list:
        return "slice"
    if origin is dict:
        return "map"
    return {bool: "bool", int: "int", float: "float64", str: "string"}.get(typ, "interface")


def _wrong_kind(value: Any, typ: Any) -> CoerceError:
    return CoerceError(
        f"wrong kind {json_kind(value)}, expected value of kind {field_kind(typ)}: false"
    )


def coerce(value: Any, typ: Any) -> Any:
    """`value` converted to `typ` (bool, int, float, str, list[T], dict[K, V], Optional, Any)."""
    origin = typing.get_origin(typ)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(typ) if a is not type(None)]
        return None if value is None else coerce(value, args[0] if args else Any)
    if typ is Any:
        return value
    if typ is bool:
        if isinstance(value, bool):
            return value
        raise _wrong_kind(value, typ)
    if typ in (int, float):
        return _number(value, typ)
    if typ is str:
        if isinstance(value, str):
            return value
        raise _wrong_kind(value, typ)
    if origin is list:
        return _list(value, typ)
    if origin is dict:
        return _dict(value, typ)
    return value


def _number(value: Any, typ: type) -> int | float:
    kind = field_kind(typ)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise CoerceError(f"cannot convert {json_kind(value)} into {kind}")
    if isinstance(value, str):
        try:
            return typ(value.strip())
        except ValueError:
            raise CoerceError(f"cannot convert string {go_quote(value)} into {kind}") from None
    if typ is int and isinstance(value, float):
        if not value.is_integer():
            raise CoerceError(f"cannot convert float64 {value} into int")
        return int(value)
    return typ(value)


def _list(value: Any, typ: Any) -> list[Any]:
    if not isinstance(value, list):
        raise _wrong_kind(value, typ)
    (item_t,) = typing.get_args(typ) or (Any,)
    out = []
    for item in value:
        try:
            out.append(coerce(item, item_t))
        except CoerceError as exc:
            raise CoerceError(f"failed to copy slice value: {exc}") from None
    return out


def _dict(value: Any, typ: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _wrong_kind(value, typ)
    args = typing.get_args(typ)
    value_t = args[1] if len(args) == 2 else Any
    out = {}
    for key, item in value.items():
        try:
            out[key] = coerce(item, value_t)
        except CoerceError as exc:
            raise CoerceError(f"failed to copy map value: {exc}") from None
    return out
