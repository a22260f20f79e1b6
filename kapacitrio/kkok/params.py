"""Typed reads of filter and transport parameters, with clear error texts."""

from __future__ import annotations

import re
from typing import Any

from kapacitrio.kkok.errors import KkokError
from kapacitrio.models.timefmt import parse_rfc3339

ID_RE = re.compile(r"^[a-zA-Z0-9_-]+$")


def check_id(kind: str, ident: str) -> str:
    """Validate a filter or route id."""
    if not isinstance(ident, str) or not ID_RE.match(ident):
        raise KkokError(f"invalid {kind} id: {ident!r}")
    return ident


class Params:
    """A parameter dict read one key at a time; `finish()` rejects keys nobody read."""

    def __init__(self, owner: str, params: dict[str, Any]) -> None:
        if not isinstance(params, dict):
            raise KkokError(f"{owner}: parameters must be a JSON object")
        self.owner = owner
        self._params = params
        self._seen: set[str] = set()

    def has(self, key: str) -> bool:
        return key in self._params

    def raw(self, key: str, default: Any = None) -> Any:
        self._seen.add(key)
        return self._params.get(key, default)

    def _fail(self, key: str, what: str) -> KkokError:
        return KkokError(f"{self.owner}: {key} must be {what}")

    def str(self, key: str, default: str = "", *, required: bool = False) -> str:
        value = self.raw(key)
        if value is None:
            if required:
                raise KkokError(f"{self.owner}: {key} is required")
            return default
        if not isinstance(value, str):
            raise self._fail(key, "a string")
        if required and not value:
            raise KkokError(f"{self.owner}: {key} is required")
        return value

    def bool(self, key: str, default: bool = False) -> bool:
        value = self.raw(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self._fail(key, "a boolean")
        return value

    def int(self, key: str, default: int = 0, *, minimum: int = 0) -> int:
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise self._fail(key, "an integer")
        if value < minimum:
            raise self._fail(key, f"at least {minimum}")
        return int(value)

    def float(self, key: str, default: float = 0.0) -> float:
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._fail(key, "a number")
        return float(value)

    def str_list(self, key: str, *, required: bool = False) -> list[str]:
        value = self.raw(key)
        if value is None:
            if required:
                raise KkokError(f"{self.owner}: {key} is required")
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._fail(key, "a list of strings")
        if required and not value:
            raise KkokError(f"{self.owner}: {key} must not be empty")
        return list(value)

    def command(self, key: str, *, required: bool = False) -> list[str]:
        """A command line as a list of strings (a lone string is one argument)."""
        value = self.raw(key)
        if isinstance(value, str) and value:
            return [value]
        cmd = self.str_list(key, required=required)
        return cmd

    def time(self, key: str) -> int | None:
        value = self.raw(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self._fail(key, "an RFC3339 time string")
        try:
            return parse_rfc3339(value)
        except ValueError:
            raise self._fail(key, f"an RFC3339 time string, not {value!r}") from None

    def finish(self) -> None:
        unknown = sorted(set(self._params) - self._seen)
        if unknown:
            raise KkokError(f"{self.owner}: unknown parameter {', '.join(unknown)}")
