"""Binary and unary operators: the lambda type table and Kapacitor's error texts."""

from __future__ import annotations

import math
import re

import pytest

from kapacitrio.tick.errors import EvalError
from kapacitrio.tick.operators import binary, unary
from kapacitrio.tick.values import MISSING, Duration

S = 1_000_000_000


@pytest.mark.parametrize(
    ("op", "left", "right", "expected"),
    [
        ("+", 5, 3, 8),
        ("/", 7, 2, 3),
        ("/", -7, 2, -3),
        ("%", -7, 2, -1),
        ("%", 7, -2, 1),
        ("+", 1.5, 1.0, 2.5),
        ("<", 1, 1.5, True),
        (">=", 2.0, 2, True),
        ("+", "a", "b", "ab"),
        ("<", "B", "a", True),
        ("AND", True, False, False),
        ("OR", False, True, True),
        ("==", True, True, True),
    ],
)
def test_valid_combinations(op, left, right, expected):
    result = binary(op, left, right)
    assert result == expected
    assert type(result) is type(expected)


def test_duration_arithmetic_keeps_the_duration_type():
    five = Duration(5 * S)
    assert type(binary("+", five, five)) is Duration
    assert binary("*", five, 2) == 10 * S and type(binary("*", five, 2)) is Duration
    assert binary("*", 2, five) == 10 * S
    assert binary("*", five, 1.5) == 7.5 * S
    assert binary("/", five, Duration(2 * S)) == 2 and type(binary("/", five, Duration(S))) is int
    assert binary("/", five, 2) == Duration(2_500_000_000)
    assert binary("<", five, Duration(6 * S)) is True


def test_regex_operators_search_unanchored():
    pattern = re.compile("b+")
    assert binary("=~", "abbc", pattern) is True
    assert binary("!~", "abbc", pattern) is False


def test_float_division_by_zero_follows_ieee():
    assert binary("/", 1.0, 0.0) == math.inf
    assert binary("/", -1.0, 0.0) == -math.inf
    assert math.isnan(binary("/", 0.0, 0.0))


def test_integer_division_by_zero_is_an_evaluation_error():
    with pytest.raises(EvalError, match="integer divide by zero"):
        binary("/", 1, 0)


@pytest.mark.parametrize(
    ("op", "left", "right", "message"),
    [
        (
            "+",
            1,
            1.0,
            "mismatched type to binary operator. got int + float. see bool(), int(), float(), string(), duration()",
        ),
        ("%", 1.0, 1.0, "invalid math operator % for type float"),
        ("<", True, False, "invalid comparison operator < for type boolean"),
        ("OR", 1.0, 1.0, "invalid logical operator OR for type float"),
        (
            "==",
            "a",
            re.compile("a"),
            "mismatched type to binary operator. got string == regex. see bool(), int(), float(), string(), duration()",
        ),
        ("%", Duration(1), Duration(1), "invalid math operator % for type duration"),
        (
            "*",
            Duration(1),
            Duration(1),
            "mismatched type to binary operator. got duration * duration. see bool(), int(), float(), string(), duration()",
        ),
    ],
)
def test_type_errors(op, left, right, message):
    with pytest.raises(EvalError) as info:
        binary(op, left, right)
    assert str(info.value) == message


def test_missing_operands_name_the_reference():
    with pytest.raises(EvalError, match='left reference value "cpu" is missing value'):
        binary(">", MISSING, 5, "cpu")
    with pytest.raises(EvalError, match='right reference value "mem" is missing value'):
        binary(">", 5, MISSING, None, "mem")


def test_unary():
    assert unary("-", 5) == -5
    assert unary("-", 2.5) == -2.5
    assert unary("!", True) is False
    assert type(unary("-", Duration(5))) is Duration
    with pytest.raises(EvalError):
        unary("-", "text")
    with pytest.raises(EvalError, match='reference "x" is missing value'):
        unary("-", MISSING, "x")


def test_int64_arithmetic_wraps_around_like_go():
    big = 2**63 - 1
    assert binary("+", big, 1) == -(2**63)
    assert binary("*", big, 2) == -2
    assert binary("/", -(2**63), -1) == -(2**63)
