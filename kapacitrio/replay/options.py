"""Reading the JSON options of recording and replay requests, with Kapacitor's checks and errors."""

from __future__ import annotations

import uuid
from typing import Any

from kapacitrio.models.timefmt import parse_rfc3339
from kapacitrio.replay.errors import Invalid
from kapacitrio.tasks.ids import MAX_ID_LENGTH, valid_id
from kapacitrio.tick.values import go_quote

_GO_TYPES = {str: "string", bool: "bool", int: "number", float: "number", list: "array"}


def _go_type(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    return _GO_TYPES.get(type(value), "value")


def _type_error(struct: str, key: str, value: Any, want: str) -> Invalid:
    return Invalid(
        f"json: cannot unmarshal {_go_type(value)} into Go struct field "
        f"{struct}.{key} of type {want}"
    )


def opt_str(opts: dict[str, Any], key: str, struct: str) -> str:
    """A string option ("" when absent or null)."""
    value = opts.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _type_error(struct, key, value, "string")
    return value


def opt_bool(opts: dict[str, Any], key: str, struct: str) -> bool:
    value = opts.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _type_error(struct, key, value, "bool")
    return value


def opt_time(opts: dict[str, Any], key: str, struct: str) -> int | None:
    """An RFC3339(Nano) time option as ns, or None when absent."""
    value = opts.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _type_error(struct, key, value, "time.Time")
    try:
        return parse_rfc3339(value)
    except ValueError:
        raise Invalid(
            f"invalid {key} time {go_quote(value)}: want an RFC3339Nano time "
            "like 2006-01-02T15:04:05.999999999Z07:00"
        ) from None


def opt_clock(opts: dict[str, Any], struct: str) -> str:
    """`fast` (the default) or `real`."""
    value = opt_str(opts, "clock", struct) or "fast"
    if value not in ("fast", "real"):
        raise Invalid(f"invalid clock type {value}")
    return value


def opt_id(opts: dict[str, Any], what: str, struct: str) -> str:
    """The requested id, or a fresh UUID; checked against Kapacitor's id rule."""
    ident = opt_str(opts, "id", struct) or str(uuid.uuid4())
    if len(ident) > MAX_ID_LENGTH:
        raise Invalid(f"{what} ID must be at most {MAX_ID_LENGTH} characters long")
    if not valid_id(ident):
        raise Invalid(
            f"{what} ID must contain only letters, numbers, '-', '.' and '_'. {go_quote(ident)}"
        )
    return ident
