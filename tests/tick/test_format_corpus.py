"""The formatter against format.json, byte for byte, and formatting its own output changes nothing."""

from __future__ import annotations

import pytest

from kapacitrio.tick.format import format_script
from tests.tick.corpus import load_cases


@pytest.mark.parametrize("case", load_cases("format.json"))
def test_format_case(case: dict) -> None:
    formatted = format_script(case["input"])
    assert formatted == case["output"]
    assert format_script(formatted) == formatted
