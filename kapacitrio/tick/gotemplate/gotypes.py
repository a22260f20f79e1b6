"""Go value stand-ins inside template data: maps, structs, times, durations and the absent value."""

from __future__ import annotations

from typing import Any


class _Missing:
    """Go's invalid reflect.Value: a map key that is absent. Prints `<no value>`."""

    _inst: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._inst is None:
            cls._inst = super().__new__(cls)
        return cls._inst

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "<no value>"


NO_VALUE = _Missing()


class GoMap(dict):
    """A Go map: `zero` is what `index` yields for an absent key ("" for map[string]string)."""

    __slots__ = ("zero",)

    def __init__(self, items: Any = (), zero: Any = None) -> None:
        super().__init__(items)
        self.zero = zero


class GoStruct(dict):
    """A Go struct: fields keep their declared order; an unknown field is an execution error."""

    __slots__ = ("type_name",)

    def __init__(self, items: Any = (), type_name: str = "struct") -> None:
        super().__init__(items)
        self.type_name = type_name


class GoTime(int):
    """A time.Time (ns since epoch, UTC) inside template data."""


class GoDuration(int):
    """A time.Duration (ns) inside template data."""
