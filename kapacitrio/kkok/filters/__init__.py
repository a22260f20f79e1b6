"""Filters, one module per type, and the factory that builds one from its JSON parameters."""

from __future__ import annotations

from typing import Any

from kapacitrio.kkok.errors import KkokError
from kapacitrio.kkok.filters import discard, edit, exec, freq, group, route  # noqa: F401
from kapacitrio.kkok.filters.base import FILTER_TYPES, Filter, FilterEnv
from kapacitrio.kkok.params import Params, check_id


def make_filter(fid: str, params: Any, env: FilterEnv, *, dynamic: bool) -> Filter:
    """Build a filter from its parameters (`type` picks the kind), raising `KkokError` if bad."""
    check_id("filter", fid)
    if not isinstance(params, dict):
        raise KkokError("filter must be a JSON object")
    params = dict(params)
    ftype = params.pop("type", None)
    if not isinstance(ftype, str) or not ftype:
        raise KkokError(f"filter {fid}: type is required")
    cls = FILTER_TYPES.get(ftype)
    if cls is None:
        raise KkokError(f"filter {fid}: no such filter type: {ftype}")
    given_id = params.pop("id", fid)
    if given_id != fid:
        raise KkokError(f"filter {fid}: id in the body ({given_id!r}) does not match")
    return cls(fid, Params(f"{ftype} filter {fid}", params), env, dynamic=dynamic)


__all__ = ["FILTER_TYPES", "Filter", "FilterEnv", "make_filter"]
