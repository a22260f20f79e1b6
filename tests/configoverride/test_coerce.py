"""JSON option values converted to field types, with Kapacitor's wording for mismatches."""

from __future__ import annotations

from typing import Any

import pytest

from kapacitrio.configoverride.coerce import CoerceError, coerce


@pytest.mark.parametrize(
    ("value", "typ", "expected"),
    [
        (True, bool, True),
        (7, int, 7),
        (7.0, int, 7),
        ("42", int, 42),
        (3, float, 3.0),
        ("2.5", float, 2.5),
        ("x", str, "x"),
        (["a", "b"], list[str], ["a", "b"]),
        ({"k": "v"}, dict[str, str], {"k": "v"}),
        ({"k": [1]}, dict[str, Any], {"k": [1]}),
        (None, str | None, None),
        ("x", str | None, "x"),
    ],
)
def test_accepted_values(value: Any, typ: Any, expected: Any) -> None:
    got = coerce(value, typ)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize(
    ("value", "typ", "message"),
    [
        ("yes", bool, "wrong kind string, expected value of kind bool: false"),
        (1, bool, "wrong kind float64, expected value of kind bool: false"),
        (5, str, "wrong kind float64, expected value of kind string: false"),
        ("bob", int, 'cannot convert string "bob" into int'),
        (True, int, "cannot convert bool into int"),
        (7.5, int, "cannot convert float64 7.5 into int"),
        ([1], float, "cannot convert slice into float64"),
        ("a", list[str], "wrong kind string, expected value of kind slice: false"),
        (
            ["a", 1],
            list[str],
            "failed to copy slice value: wrong kind float64, expected value of kind string: false",
        ),
        ([], dict[str, str], "wrong kind slice, expected value of kind map: false"),
        (
            {"k": False},
            dict[str, str],
            "failed to copy map value: wrong kind bool, expected value of kind string: false",
        ),
        (None, str, "wrong kind invalid, expected value of kind string: false"),
    ],
)
def test_rejected_values(value: Any, typ: Any, message: str) -> None:
    with pytest.raises(CoerceError) as info:
        coerce(value, typ)
    assert str(info.value) == message
