"""API vars in and out."""

import re

import pytest

from kapacitrio.pipeline.build import compile_task
from kapacitrio.pipeline.spec import STAR, Var
from kapacitrio.pipeline.vars import vars_from_api, vars_to_api
from kapacitrio.tick import ast
from kapacitrio.tick.errors import TickError


def test_vars_from_api_converts_each_type():
    got = vars_from_api(
        {
            "b": {"type": "bool", "value": True},
            "i": {"type": "int", "value": 42},
            "f": {"type": "float", "value": 67},
            "d1": {"type": "duration", "value": "1m"},
            "d2": {"type": "duration", "value": 10_000_000_000},
            "s": {"type": "string", "value": "x", "description": "a string"},
            "r": {"type": "regex", "value": "^abc.*xyz"},
            "l": {"type": "lambda", "value": '"value" > 5'},
            "st": {"type": "star"},
            "li": {
                "type": "list",
                "value": [{"type": "string", "value": "host"}, {"type": "star"}],
            },
        }
    )
    assert got["b"] == Var("bool", True)
    assert got["i"].value == 42 and type(got["i"].value) is int
    assert got["f"].value == 67.0 and type(got["f"].value) is float
    assert got["d1"].value == 60 * 10**9 and type(got["d1"].value).__name__ == "Duration"
    assert got["d2"].value == 10 * 10**9
    assert got["s"] == Var("string", "x", "a string")
    assert isinstance(got["r"].value, re.Pattern) and got["r"].value.search("abcQxyz")
    lam = got["l"].value
    assert isinstance(lam, ast.LambdaNode) and lam.expr.op == ">"
    assert got["st"].value is STAR
    assert [(v.type, v.value) for v in got["li"].value] == [("string", "host"), ("star", STAR)]


@pytest.mark.parametrize(
    "obj",
    [
        {"x": {"type": "int", "value": "5"}},
        {"x": {"type": "int", "value": 1.5}},
        {"x": {"type": "bool", "value": 1}},
        {"x": {"type": "nope", "value": 1}},
        {"x": {"type": "duration", "value": "5 minutes"}},
        {"x": {"type": "list", "value": [{"type": "int", "value": 1}]}},
        {"x": {"type": "list", "value": "a"}},
        {"x": "int"},
        {"x": {"type": "lambda", "value": '"a" >'}},
        {"x": {"type": "regex", "value": "a("}},
    ],
)
def test_vars_from_api_rejects_bad_values(obj):
    with pytest.raises(TickError) as exc:
        vars_from_api(obj)
    assert str(exc.value).startswith("invalid var x")


def test_api_vars_feed_a_task_and_come_back_out():
    script = """
var period duration
// threshold
var crit = 90.0
var by = ['host']
var match = lambda: "cpu" == 'total'
stream
    |from()
        .groupBy(by)
        .where(match)
    |window()
        .period(period)
        .every(period)
    |alert()
        .crit(lambda: "usage" > crit)
"""
    api = {
        "period": {"type": "duration", "value": "10s"},
        "crit": {"type": "float", "value": 75},
        "by": {"type": "list", "value": [{"type": "string", "value": "dc"}]},
        "match": {"type": "lambda", "value": "\"cpu\" == 'cpu0'"},
    }
    p = compile_task(script, "stream", vars_from_api(api))
    assert p.nodes[1].props["groupBy"] == ["dc"]
    assert p.nodes[1].props["where"].expr.right.value == "cpu0"
    assert p.nodes[2].props["period"] == 10**10
    assert p.nodes[3].props["crit"].expr.right.value == 75.0
    assert vars_to_api(p.vars) == {
        "period": {"type": "duration", "value": None, "description": ""},
        "crit": {"type": "float", "value": 90.0, "description": "threshold"},
        "by": {
            "type": "list",
            "value": [{"type": "string", "value": "host", "description": ""}],
            "description": "",
        },
        "match": {"type": "lambda", "value": "\"cpu\" == 'total'", "description": ""},
    }


def test_vars_to_api_round_trip():
    api = {
        "d": {"type": "duration", "value": 5_000_000_000},
        "r": {"type": "regex", "value": "^a/b$"},
        "s": {"type": "star", "value": None},
        "l": {"type": "list", "value": [{"type": "star", "value": None}]},
        "x": {"type": "string", "value": "v", "description": "text"},
    }
    assert vars_to_api(vars_from_api(api)) == with_descriptions(api)


def with_descriptions(api: dict) -> dict:
    """Kapacitor's vars always carry `description` (empty when none was given)."""

    def one(v: dict) -> dict:
        out = dict(v, description=v.get("description", ""))
        if v["type"] == "list":
            out["value"] = [one(x) for x in v["value"]]
        return out

    return {k: one(v) for k, v in api.items()}


def test_every_var_carries_a_description():
    out = vars_to_api(vars_from_api({"s": {"type": "string", "value": "x"}}))
    assert out == {"s": {"value": "x", "type": "string", "description": ""}}


def test_lambda_var_text_is_the_formatted_expression():
    api = {"l": {"type": "lambda", "value": '("a" > 5   AND "b"<3) OR sigma("x") > 0.5'}}
    assert vars_to_api(vars_from_api(api))["l"]["value"] == (
        '("a" > 5 AND "b" < 3) OR sigma("x") > 0.5'
    )


def test_duration_var_inlined_in_lambda_keeps_a_valid_literal():
    p = compile_task('var d = 90s\nvar l = lambda: "elapsed" > d\nstream|from().where(l)', "stream")
    assert vars_to_api(p.vars)["l"]["value"] == '"elapsed" > 90s'
