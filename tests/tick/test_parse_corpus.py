"""The parser against parse.json: success, the string literal where given, exact error texts."""

from __future__ import annotations

import pytest

from kapacitrio.tick import ast
from kapacitrio.tick.errors import ParseError
from kapacitrio.tick.parser import parse
from tests.tick.corpus import load_cases


@pytest.mark.parametrize("case", load_cases("parse.json"))
def test_parse_case(case: dict) -> None:
    if not case["ok"]:
        with pytest.raises(ParseError) as info:
            parse(case["input"])
        assert str(info.value) == case["error"]
        return
    program = parse(case["input"])
    assert isinstance(program, ast.ProgramNode)
    assert program.statements
    if "stringLiteral" in case:
        (statement,) = program.statements
        call = statement.expr
        assert isinstance(call, ast.FunctionNode)
        (arg,) = call.args
        assert isinstance(arg, ast.StringNode)
        assert arg.value == case["stringLiteral"]
