"""The registry of built-in lambda functions: signatures, conversions and the stateful functions."""

from __future__ import annotations

import math
import re
import time as _time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from kapacitrio.tick.errors import EvalError
from kapacitrio.tick.values import (
    Duration,
    MissingType,
    format_duration,
    format_float_f,
    format_float_v,
    go_quote,
    go_type_name,
    name_of_type,
    parse_duration,
)

__all__ = [
    "FunctionSpec",
    "lookup",
    "call",
    "names",
    "signature_checker",
    "wall_clock_ns",
    "register",
]

MAX_ARGS = 4
_Pattern = re.Pattern

B, N, F, S, D = bool, int, float, str, Duration


def wall_clock_ns() -> int:
    """The default clock of `now()`: the system's wall clock."""
    return _time.time_ns()


@dataclass(slots=True)
class FunctionSpec:
    """A built-in: its name, accepted argument types (tuple -> return type) and implementation.

    Stateless functions have `call(*args)`; stateful ones a `state` class whose instances have
    `call(*args)` and `reset()`; the compiler makes one state per function name per expression.
    """

    name: str
    signatures: dict[tuple[type, ...], type]
    call: Callable[..., object] | None = None
    state: Callable[[], object] | None = None
    returns: set[type] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.returns = set(self.signatures.values())

    @property
    def stateful(self) -> bool:
        return self.state is not None

    def new_state(self) -> object:
        assert self.state is not None
        return self.state()

    def accepts(self, types: Sequence[type]) -> bool:
        return tuple(types) in self.signatures

    def return_type_for(self, types: Sequence[type | None]) -> type | None:
        """The static return type: exact when every argument type is known, else if all signatures agree."""
        if all(t is not None for t in types):
            found = self.signatures.get(tuple(types))  # type: ignore[arg-type]
            if found is not None:
                return found
        if len(self.returns) == 1:
            return next(iter(self.returns))
        return None

    def domains(self) -> str:
        return "[" + ", ".join(_domain(sig) for sig in self.signatures) + "]"


_REGISTRY: dict[str, FunctionSpec] = {}


def register(spec: FunctionSpec) -> FunctionSpec:
    _REGISTRY[spec.name] = spec
    return spec


def lookup(name: str) -> FunctionSpec | None:
    """The built-in function called `name`, or None."""
    return _REGISTRY.get(name)


def names() -> list[str]:
    return sorted(_REGISTRY)


def call(name: str, args: Sequence[object]) -> object:
    """Call a built-in directly (a fresh state for stateful ones); errors are the function's own."""
    spec = lookup(name)
    if spec is None:
        raise EvalError(f'undefined function: "{name}"')
    if spec.call is not None:
        return spec.call(*args)
    return spec.new_state().call(*args)  # type: ignore[attr-defined]


def _domain(types: Sequence[type]) -> str:
    return "(" + ",".join(name_of_type(t) for t in types) + ")"


def signature_checker(
    spec: FunctionSpec, literals: list[str], scope_names: list[str]
) -> Callable[..., None]:
    """A function that raises Kapacitor's signature error when the argument types fit no signature."""
    sigs = spec.signatures

    def check(*args: object) -> None:
        types = tuple(type(a) for a in args)
        if types in sigs:
            return
        if len(args) > MAX_ARGS:
            raise EvalError(
                f'too many arguments provided: Cannot call function "{spec.name}" with args '
                f"{_domain(types[:MAX_ARGS])}, available signatures are {spec.domains()}."
            )
        missing = [lit for lit, t in zip(literals, types, strict=False) if t is MissingType]
        if missing:
            gone = set(missing)
            scope = ", ".join(n for n in scope_names if n not in gone)
            if len(missing) > 1:
                raise EvalError(
                    f'Cannot call function "{spec.name}" arguments {", ".join(missing)} are missing, '
                    f"values in scope are [{scope}]"
                )
            raise EvalError(
                f'Cannot call function "{spec.name}" argument {missing[0]} is missing, '
                f"values in scope are [{scope}]"
            )
        shown = ",".join(
            f"{lit}: {name_of_type(t)}" for lit, t in zip(literals, types, strict=False)
        )
        raise EvalError(
            f'Cannot call function "{spec.name}" with args ({shown}), '
            f"available signatures are {spec.domains()}."
        )

    return check


def _arity(name: str, args: Sequence[object], n: int) -> None:
    if len(args) != n:
        words = {0: "zero argument", 1: "one argument", 2: "two arguments", 3: "three arguments"}
        raise EvalError(f"{name} expects exactly {words.get(n, 'four arguments')}")


# ---------------------------------------------------------------------------------------------
# Conversions

_BOOL_TEXT = {
    "1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
    "0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False,
}  # fmt: skip
_INT_TEXT = re.compile(r"[+-]?[0-9]+\Z")
_FLOAT_TEXT = re.compile(
    r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)\Z", re.IGNORECASE
)
_HEX_FLOAT = re.compile(
    r"[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?[0-9]+\Z"
)


def parse_go_int(text: str) -> int:
    """Go's `strconv.ParseInt(text, 10, 64)` with its error texts."""
    if not _INT_TEXT.match(text):
        raise EvalError(f"strconv.ParseInt: parsing {go_quote(text)}: invalid syntax")
    value = int(text)
    if not -(2**63) <= value < 2**63:
        raise EvalError(f"strconv.ParseInt: parsing {go_quote(text)}: value out of range")
    return value


def parse_go_float(text: str) -> float:
    """Go's `strconv.ParseFloat(text, 64)` with its error texts."""
    if _HEX_FLOAT.match(text):
        value = float.fromhex(text)
    elif _FLOAT_TEXT.match(text):
        value = float(text)
    else:
        raise EvalError(f"strconv.ParseFloat: parsing {go_quote(text)}: invalid syntax")
    if math.isinf(value) and "inf" not in text.lower():
        raise EvalError(f"strconv.ParseFloat: parsing {go_quote(text)}: value out of range")
    return value


def _conversion(
    name: str, target: str, rules: dict[type, Callable[[object], object]]
) -> Callable[..., object]:
    """A one-argument conversion built-in whose rule is picked by the argument's exact type."""

    def convert(*args: object) -> object:
        _arity(name, args, 1)
        rule = rules.get(type(args[0]))
        if rule is None:
            raise EvalError(f"cannot convert {go_type_name(args[0])} to {target}")
        return rule(args[0])

    return convert


def _unchanged(value: object) -> object:
    return value


def _text_to_bool(text: str) -> bool:
    try:
        return _BOOL_TEXT[text]
    except KeyError:
        raise EvalError(f"strconv.ParseBool: parsing {go_quote(text)}: invalid syntax") from None


def _number_to_bool(number: float) -> bool:
    if number == 0:
        return False
    if number == 1:
        return True
    shown = format_float_v(number) if type(number) is float else str(number)
    raise EvalError(f"cannot convert {shown} to boolean")


def _float_to_int(value: float) -> int:
    if math.isnan(value) or math.isinf(value):
        return -(2**63)
    return int(value)


_to_bool = _conversion(
    "bool", "boolean", {B: _unchanged, S: _text_to_bool, N: _number_to_bool, F: _number_to_bool}
)
_to_int = _conversion(
    "int", "integer", {N: _unchanged, F: _float_to_int, S: parse_go_int, B: int, D: int}
)
_to_float = _conversion("float", "float", {F: _unchanged, N: float, S: parse_go_float, B: float})
_to_string = _conversion(
    "string",
    "string",
    {
        S: _unchanged,
        N: str,
        F: format_float_f,
        B: lambda flag: "true" if flag else "false",
        D: format_duration,
    },
)


def _to_duration(*args: object) -> Duration:
    if len(args) not in (1, 2):
        raise EvalError(
            "duration expects one or two arguments duration(value, unit) where unit is optional "
            "depending on the type of value."
        )
    a = args[0]
    t = type(a)
    if t is Duration:
        return a  # type: ignore[return-value]
    if t is int or t is float:
        if len(args) != 2:
            raise EvalError("duration expects unit argument for int and float values")
        unit = args[1]
        if type(unit) is not Duration:
            raise EvalError(f"invalid duration unit type: {go_type_name(unit)}")
        if t is int:
            return Duration(a * unit)  # type: ignore[operator]
        product = a * float(unit)  # type: ignore[operator]
        if math.isnan(product) or math.isinf(product) or abs(product) >= 2.0**63:
            return Duration(-(2**63))
        return Duration(int(product))
    if t is str:
        try:
            return Duration(parse_duration(a))  # type: ignore[arg-type]
        except ValueError:
            raise EvalError(f"invalid duration string {go_quote(a)}") from None  # type: ignore[arg-type]
    raise EvalError(f"cannot convert {go_type_name(a)} to duration")


register(FunctionSpec("bool", {(B,): B, (S,): B, (N,): B, (F,): B}, call=_to_bool))
register(FunctionSpec("int", {(B,): N, (S,): N, (N,): N, (F,): N}, call=_to_int))
register(FunctionSpec("float", {(B,): F, (S,): F, (N,): F, (F,): F}, call=_to_float))
register(FunctionSpec("string", {(B,): S, (S,): S, (N,): S, (F,): S, (D,): S}, call=_to_string))
register(FunctionSpec("duration", {(D,): D, (N, D): D, (F, D): D, (S, D): D}, call=_to_duration))


# ---------------------------------------------------------------------------------------------
# Stateful functions


def _float_argument(name: str, args: Sequence[object]) -> float:
    """The one float argument of a stateful statistic."""
    _arity(name, args, 1)
    x = args[0]
    if type(x) is not float:
        raise EvalError("value is not a float")
    return x


def _check_numbers(data: object, n: int, kinds: tuple[type, ...]) -> None:
    """A dumped state: a list of `n` values of the given kinds (None for an unset bound)."""
    if not isinstance(data, list) or len(data) != n:
        raise ValueError("stateful function state of another shape")
    if not all(x is None or type(x) in kinds for x in data):
        raise ValueError("stateful function state of another kind")


class _Count:
    __slots__ = ("n",)

    def dump(self) -> list:
        return [self.n]

    def check(self, data: object) -> None:
        _check_numbers(data, 1, (int,))

    def load(self, data: list) -> None:
        self.n = int(data[0])

    def __init__(self) -> None:
        self.n = 0

    def reset(self) -> None:
        self.n = 0

    def call(self, *args: object) -> int:
        self.n += 1
        return self.n


class _Sigma:
    """Welford's running mean and variance; the result is |x - mean| / stddev."""

    __slots__ = ("mean", "m2", "n")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.mean = 0.0
        self.m2 = 0.0
        self.n = 0.0

    def dump(self) -> list:
        return [self.mean, self.m2, self.n]

    def check(self, data: object) -> None:
        _check_numbers(data, 3, (int, float))

    def load(self, data: list) -> None:
        self.mean, self.m2, self.n = (float(x) for x in data)

    def call(self, *args: object) -> float:
        x = _float_argument("sigma", args)
        self.n += 1
        delta = x - self.mean
        self.mean += delta / self.n
        self.m2 += delta * (x - self.mean)
        if self.n < 2:
            return 0.0
        variance = self.m2 / (self.n - 1)
        if variance == 0:
            return 0.0
        return abs(x - self.mean) / math.sqrt(variance)


class _Spread:
    __slots__ = ("lo", "hi")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.lo = math.inf
        self.hi = -math.inf

    def dump(self) -> list:
        """Bounds not yet set (infinite) as None, which JSON has."""
        return [None if math.isinf(self.lo) else self.lo, None if math.isinf(self.hi) else self.hi]

    def check(self, data: object) -> None:
        _check_numbers(data, 2, (int, float))

    def load(self, data: list) -> None:
        lo, hi = data
        self.lo = math.inf if lo is None else float(lo)
        self.hi = -math.inf if hi is None else float(hi)

    def call(self, *args: object) -> float:
        x = _float_argument("spread", args)
        if x < self.lo:
            self.lo = x
        if x > self.hi:
            self.hi = x
        return self.hi - self.lo


register(FunctionSpec("count", {(): N}, state=_Count))
register(FunctionSpec("sigma", {(F,): F}, state=_Sigma))
register(FunctionSpec("spread", {(F,): F}, state=_Spread))


# The other families register themselves on import.
from kapacitrio.tick import functions_math as _math  # noqa: E402,F401
from kapacitrio.tick import functions_other as _other  # noqa: E402,F401
