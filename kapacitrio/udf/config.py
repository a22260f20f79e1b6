"""The `[udf]` section: `[udf.functions.NAME]` tables with `prog`/`args`/`env`/`timeout` or `socket`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kapacitrio.config import duration_ns, norm_key, section


@dataclass(frozen=True, slots=True)
class FunctionConfig:
    """One UDF: a program to start (`prog`, `args`, `env`) or a unix `socket` to connect to.

    `timeout` (ns) bounds every answer, keepalives included; 0 sends no keepalives.
    """

    name: str
    prog: str = ""
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    timeout: int = 0
    socket: str = ""


def parse_function(name: str, table: Any) -> FunctionConfig:
    """A function's table checked and converted; raises `ValueError` naming the problem."""
    if not isinstance(table, dict):
        raise ValueError(f"udf function {name!r} must be a table")
    known = {"prog", "args", "env", "timeout", "socket"}
    values: dict[str, Any] = {}
    for key, value in table.items():
        k = norm_key(key)
        if k not in known:
            raise ValueError(f"unknown key {key!r} in udf function {name!r}")
        values[k] = value
    prog = values.get("prog", "")
    sock = values.get("socket", "")
    if not isinstance(prog, str) or not isinstance(sock, str):
        raise ValueError(f"udf function {name!r}: prog and socket must be strings")
    if bool(prog) == bool(sock):
        raise ValueError(f"udf function {name!r}: exactly one of prog and socket must be set")
    args = values.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise ValueError(f"udf function {name!r}: args must be a list of strings")
    env = values.get("env", {})
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        raise ValueError(f"udf function {name!r}: env must be a table of strings")
    try:
        timeout = duration_ns(values.get("timeout", 0))
    except ValueError as exc:
        raise ValueError(f"udf function {name!r}: {exc}") from None
    if timeout < 0:
        raise ValueError(f"udf function {name!r}: timeout must not be negative")
    return FunctionConfig(name, prog, tuple(args), tuple(env.items()), timeout, sock)


@section("udf")
@dataclass
class UDFSection:
    """`[udf]`: the configured functions by name (`[udf.functions.NAME]`)."""

    functions: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> None:
        self.parsed()

    def parsed(self) -> dict[str, FunctionConfig]:
        """Every function, checked (raises `ValueError`)."""
        return {name: parse_function(name, t) for name, t in self.functions.items()}
