"""The lambda evaluator and built-ins against eval.json (expression cases and direct function calls)."""

from __future__ import annotations

import pytest

from kapacitrio.tick.corpus import run_case
from tests.tick.corpus import load_cases


@pytest.mark.parametrize("case", load_cases("eval.json"))
def test_eval_case(case: dict) -> None:
    result = run_case(case, "eval")
    assert result.passed, result.detail
