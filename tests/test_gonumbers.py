"""Numbers in JSON as Go's encoding/json writes them (`979`, `1e-7`, `1e+21`, `0.00001`)."""

from __future__ import annotations

import json

import pytest

from kapacitrio.models.gonumbers import dumps, go_float_text, go_numbers

# (value, Go's `json.Marshal` text)
CASES = [
    (979.0, "979"),
    (-5.0, "-5"),
    (0.0, "0"),
    (-0.0, "-0"),
    (0.1, "0.1"),
    (123456789.123, "123456789.123"),
    (0.00001, "0.00001"),
    (1e-6, "0.000001"),
    (-2.5e-5, "-0.000025"),
    (1.5e-7, "1.5e-7"),
    (1e-10, "1e-10"),
    (5e-324, "5e-324"),
    (1e16, "10000000000000000"),
    (1e20, "100000000000000000000"),
    (1.2345678901234567e19, "12345678901234567000"),
    (1e21, "1e+21"),
    (1.7976931348623157e308, "1.7976931348623157e+308"),
]


@pytest.mark.parametrize(("value", "text"), CASES)
def test_floats_as_go_writes_them(value, text):
    assert dumps(value) == text
    assert dumps([value], separators=(",", ":")) == f"[{text}]"
    assert float(text) == value


@pytest.mark.parametrize(("value", "text"), [c for c in CASES if c[0] != 0])
def test_float_text(value, text):
    assert go_float_text(value) == text


def test_nested_documents_keep_everything_else():
    doc = {"b": [1.0, {"x": 2.5e-8, "s": "\x00a"}], "a": True, "n": None, "i": 3, "t": (4.0,)}
    text = dumps(doc, separators=(",", ":"), sort_keys=True)
    assert text == '{"a":true,"b":[1,{"s":"\\u0000a","x":2.5e-8}],"i":3,"n":null,"t":[4]}'
    assert json.loads(text) == {"a": True, "b": [1, {"s": "\x00a", "x": 2.5e-8}], "i": 3,
                                "n": None, "t": [4]}  # fmt: skip
    # a string that looks like a placeholder is never replaced
    assert dumps(["\x00deadbeef:0\x00", 1e-9]) == '["\\u0000deadbeef:0\\u0000", 1e-9]'
    assert dumps({"v": 1.0}, indent=2) == '{\n  "v": 1\n}'


def test_go_numbers_turns_integral_floats_into_ints():
    out = go_numbers({"a": [1.0, 2.5], "b": 1e-7})
    assert out == {"a": [1, 2.5], "b": 1e-7}
    assert type(out["a"][0]) is int and type(out["b"]) is float


async def test_the_kkok_api_writes_go_numbers_too():
    from kapacitrio.api.kkok import json_response

    r = json_response({"info": {"value": 979.0, "small": 1e-7}})
    assert await r.get_data() == b'{"info": {"value": 979, "small": 1e-7}}'
