"""Binary and unary operators of TICKscript with Kapacitor's type rules and error texts."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from kapacitrio.tick.errors import EvalError
from kapacitrio.tick.values import Duration, MissingType, name_of_type, type_name

__all__ = [
    "binary",
    "unary",
    "binary_error",
    "result_type",
    "MATH_OPS",
    "COMPARISON_OPS",
    "LOGICAL_OPS",
    "idiv",
    "imod",
    "fdiv",
    "wrap64",
]

MATH_OPS = frozenset({"+", "-", "*", "/", "%"})
COMPARISON_OPS = frozenset({"==", "!=", "<", "<=", ">", ">=", "=~", "!~"})
LOGICAL_OPS = frozenset({"AND", "OR"})

_Pattern = re.Pattern
_MIN_INT64 = -(2**63)


def wrap64(value: int) -> int:
    """Two's-complement wrap-around of an int64 result, as Go's integer arithmetic does."""
    return (value + 2**63) % 2**64 - 2**63


def idiv(left: int, right: int) -> int:
    """Go's int64 division: truncates toward zero; division by zero is an evaluation error."""
    if right == 0:
        raise EvalError("integer divide by zero")
    q = abs(left) // abs(right)
    return wrap64(q if (left < 0) == (right < 0) else -q)


def imod(left: int, right: int) -> int:
    """Go's int64 remainder: takes the sign of the dividend."""
    if right == 0:
        raise EvalError("integer divide by zero")
    return left - right * idiv(left, right)


def fdiv(left: float, right: float) -> float:
    """IEEE float division (Go semantics: x/0 is ±Inf, 0/0 is NaN)."""
    if right != 0:
        return left / right
    if left == 0 or math.isnan(left):
        return math.nan
    negative = (left < 0) != (math.copysign(1.0, right) < 0)
    return -math.inf if negative else math.inf


def _to_ns(value: float) -> Duration:
    """Go's float64 -> int64 conversion of a nanosecond count (out of range gives the minimum int64)."""
    if math.isnan(value) or math.isinf(value) or not (-(2.0**63) <= value < 2.0**63):
        return Duration(_MIN_INT64)
    return Duration(int(value))


def _dur_div_int(left: int, right: int) -> Duration:
    return Duration(idiv(left, right))


def _dur_div_float(left: int, right: float) -> Duration:
    return _to_ns(fdiv(float(left), right))


def _regex_match(left: str, right: re.Pattern) -> bool:
    return right.search(left) is not None


def _regex_nomatch(left: str, right: re.Pattern) -> bool:
    return right.search(left) is None


_CMP: dict[str, Callable[[object, object], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _build_table() -> dict[tuple[str, type, type], Callable[[object, object], object]]:
    t: dict[tuple[str, type, type], Callable[[object, object], object]] = {}
    t[("AND", bool, bool)] = lambda a, b: a and b
    t[("OR", bool, bool)] = lambda a, b: a or b
    t[("==", bool, bool)] = _CMP["=="]
    t[("!=", bool, bool)] = _CMP["!="]
    for op, fn in _CMP.items():
        for lt, rt in ((int, int), (float, float), (str, str), (Duration, Duration)):
            t[(op, lt, rt)] = fn
        t[(op, int, float)] = lambda a, b, _f=fn: _f(float(a), b)
        t[(op, float, int)] = lambda a, b, _f=fn: _f(a, float(b))
    t[("+", int, int)] = lambda a, b: wrap64(a + b)
    t[("-", int, int)] = lambda a, b: wrap64(a - b)
    t[("*", int, int)] = lambda a, b: wrap64(a * b)
    t[("/", int, int)] = idiv
    t[("%", int, int)] = imod
    t[("+", float, float)] = lambda a, b: a + b
    t[("-", float, float)] = lambda a, b: a - b
    t[("*", float, float)] = lambda a, b: a * b
    t[("/", float, float)] = fdiv
    t[("+", str, str)] = lambda a, b: a + b
    t[("=~", str, _Pattern)] = _regex_match
    t[("!~", str, _Pattern)] = _regex_nomatch
    t[("+", Duration, Duration)] = lambda a, b: Duration(a + b)
    t[("-", Duration, Duration)] = lambda a, b: Duration(a - b)
    t[("*", Duration, int)] = lambda a, b: Duration(a * b)
    t[("*", int, Duration)] = lambda a, b: Duration(a * b)
    t[("/", Duration, int)] = _dur_div_int
    t[("*", Duration, float)] = lambda a, b: _to_ns(float(a) * b)
    t[("*", float, Duration)] = lambda a, b: _to_ns(a * float(b))
    t[("/", Duration, float)] = _dur_div_float
    t[("/", Duration, Duration)] = lambda a, b: idiv(int(a), int(b))
    return t


_TABLE = _build_table()

# Result types of the table, for the compiler's static typing.
_RESULT_TYPES: dict[tuple[str, type, type], type] = {}
for (_op, _lt, _rt), _fn in _TABLE.items():
    if _op in COMPARISON_OPS or _op in LOGICAL_OPS:
        _RESULT_TYPES[(_op, _lt, _rt)] = bool
    elif (_lt, _rt) == (Duration, Duration) and _op == "/":
        _RESULT_TYPES[(_op, _lt, _rt)] = int
    elif Duration in (_lt, _rt):
        _RESULT_TYPES[(_op, _lt, _rt)] = Duration
    else:
        _RESULT_TYPES[(_op, _lt, _rt)] = _lt

# Operators each type takes part in, on either side (Kapacitor words its errors from this set).
_OPS_OF_TYPE: dict[type, set[str]] = {}
for _op, _lt, _rt in _TABLE:
    _OPS_OF_TYPE.setdefault(_lt, set()).add(_op)
    _OPS_OF_TYPE.setdefault(_rt, set()).add(_op)


def table_function(op: str, left_type: type, right_type: type) -> Callable | None:
    """The implementation of `op` for the two operand types, or None when the types do not go together."""
    return _TABLE.get((op, left_type, right_type))


def result_type(op: str, left_type: type, right_type: type) -> type | None:
    """The result type of `op` on the two operand types, or None when invalid."""
    return _RESULT_TYPES.get((op, left_type, right_type))


def operator_kind(op: str) -> str:
    if op in MATH_OPS:
        return "math"
    if op in COMPARISON_OPS:
        return "comparison"
    if op in LOGICAL_OPS:
        return "logical"
    return "INVALID"


def binary_error(
    op: str,
    left: object,
    right: object,
    left_name: str | None = None,
    right_name: str | None = None,
    *,
    check_missing: bool = True,
) -> EvalError:
    """The error Kapacitor reports when `left op right` has no implementation for the operand types."""
    lt, rt = type(left), type(right)
    if check_missing:
        if left is None:
            return EvalError("left value is invalid value type")
        if lt is MissingType:
            return EvalError(f'left reference value "{left_name or ""}" is missing value')
        if right is None:
            return EvalError("right value is invalid value type")
        if rt is MissingType:
            return EvalError(f'right reference value "{right_name or ""}" is missing value')
    return type_error(op, lt, rt)


def type_error(op: str, lt: type, rt: type) -> EvalError:
    """The operator/type mismatch error for static or runtime operand types."""
    lname = name_of_type(lt)
    if op not in _OPS_OF_TYPE.get(lt, ()):
        return EvalError(f"invalid {operator_kind(op)} operator {op} for type {lname}")
    rname = name_of_type(rt)
    return EvalError(
        f"mismatched type to binary operator. got {lname} {op} {rname}. "
        "see bool(), int(), float(), string(), duration()"
    )


def binary(
    op: str,
    left: object,
    right: object,
    left_name: str | None = None,
    right_name: str | None = None,
) -> object:
    """Apply a binary operator with the lambda type rules; raises `EvalError` with Kapacitor's text."""
    fn = _TABLE.get((op, type(left), type(right)))
    if fn is None:
        raise binary_error(op, left, right, left_name, right_name)
    return fn(left, right)


def unary(op: str, value: object, name: str | None = None) -> object:
    """Apply `-` or `!`.

    Like Kapacitor, the operator is chosen by the operand's type: numbers and durations are
    negated and booleans inverted, whichever of the two operators is written.
    """
    if op not in ("-", "!"):
        raise EvalError(f"Invalid unary operator: {op!r}")
    t = type(value)
    if t is bool:
        return not value
    if t is int or t is float:
        return -value
    if t is Duration:
        return Duration(-value)
    if t is MissingType:
        raise EvalError(f'reference "{name or ""}" is missing value')
    kind = "logical" if op == "!" else "math"
    raise EvalError(f"invalid {kind} operator {op} for type {type_name(value)}")
