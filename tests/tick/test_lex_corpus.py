"""The lexer against lex.json: every token's kind, byte offset and text."""

from __future__ import annotations

import pytest

from kapacitrio.tick.lexer import lex
from tests.tick.corpus import load_cases


@pytest.mark.parametrize("case", load_cases("lex.json"))
def test_lex_case(case: dict) -> None:
    tokens = [[t.name, t.offset, t.text] for t in lex(case["input"])]
    assert tokens == case["tokens"]
