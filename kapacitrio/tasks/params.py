"""Reading the task and template API's request options and list parameters (Kapacitor's errors)."""

from __future__ import annotations

import re
from typing import Any

from kapacitrio.tasks.errors import Invalid
from kapacitrio.tasks.ids import TYPES
from kapacitrio.tick.errors import TickError
from kapacitrio.tick.values import go_quote


def parse_vars(obj: Any) -> dict[str, Any]:
    """Validate API vars; returns their normalised JSON (bad vars: `Invalid`)."""
    from kapacitrio.pipeline.vars import vars_from_api, vars_to_api

    if obj is None:
        return {}
    try:
        return vars_to_api(vars_from_api(obj))
    except TickError as exc:
        raise Invalid(str(exc)) from None


def dbrps_from_api(obj: Any) -> list[dict[str, str]]:
    """Validate the API's `dbrps` list of `{"db", "rp"}` objects."""
    if obj is None:
        return []
    if not isinstance(obj, list):
        raise Invalid("invalid JSON")
    out = []
    for item in obj:
        if not isinstance(item, dict):
            raise Invalid("invalid JSON")
        db, rp = item.get("db", ""), item.get("rp", "")
        if not isinstance(db, str) or not isinstance(rp, str):
            raise Invalid("invalid JSON")
        out.append({"db": db, "rp": rp})
    return out


def opt_str(opts: dict[str, Any], key: str) -> str:
    value = opts.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid("invalid JSON")
    return value


#: Largest TICKscript accepted, in characters.
MAX_SCRIPT_LENGTH = 1_000_000


def opt_script(opts: dict[str, Any]) -> str:
    script = opt_str(opts, "script")
    if len(script) > MAX_SCRIPT_LENGTH:
        raise Invalid(f"script is longer than {MAX_SCRIPT_LENGTH} characters")
    return script


def opt_status(opts: dict[str, Any]) -> str:
    status = opt_str(opts, "status")
    if status not in ("", "enabled", "disabled"):
        raise Invalid(f"invalid status {go_quote(status)}: must be one of enabled or disabled")
    return status


def opt_type(opts: dict[str, Any]) -> str:
    typ = opt_str(opts, "type")
    if typ not in ("",) + TYPES:
        raise Invalid(f"unknown type {go_quote(typ)}")
    return typ


def _int_param(name: str, raw: str | None, default: int) -> int:
    """A query parameter as Go's `strconv.ParseInt(raw, 10, 64)` reads it, or Kapacitor's 400."""
    if raw is None or raw == "":
        return default
    reason = "invalid syntax"
    if re.fullmatch(r"[+-]?[0-9]+", raw):
        value = int(raw, 10)
        if -(2**63) <= value < 2**63:
            return value
        reason = "value out of range"
    raise Invalid(
        f"invalid {name} parameter {go_quote(raw)} must be an integer: "
        f"strconv.ParseInt: parsing {go_quote(raw)}: {reason}"
    )


def list_params(args: Any, fields_all: list[str], fields_extra: list[str]) -> dict[str, Any]:
    """Validate a list request's `pattern`, `fields`, `offset`, `limit`, `script-format`, `dot-view`."""
    fields = (
        list(args.getlist("fields")) if hasattr(args, "getlist") else list(args.get("fields", []))
    )
    if fields:
        for f in fields:
            if f not in fields_all and f not in fields_extra:
                raise Invalid(f"unsupported field {go_quote(f)}")
        fields = list(dict.fromkeys(fields + ["id", "link"]))
    else:
        fields = list(fields_all)
    return {
        "pattern": args.get("pattern", "") or None,
        "fields": fields,
        "offset": max(0, _int_param("offset", args.get("offset"), 0)),
        "limit": _int_param("limit", args.get("limit"), 100),
        "script_format": script_format(args.get("script-format")),
        "dot_view": dot_view(args.get("dot-view")),
    }


def script_format(raw: str | None) -> str:
    if raw in (None, "", "formatted"):
        return "formatted"
    if raw == "raw":
        return "raw"
    raise Invalid(f"invalid script-format parameter {go_quote(raw)}")


def dot_view(raw: str | None) -> str:
    if raw in (None, "", "attributes"):
        return "attributes"
    if raw == "labels":
        return "labels"
    raise Invalid(f"invalid dot-view parameter {go_quote(raw)}")
