"""`@name()` UDF nodes: declared options, Kapacitor's type errors, edges from the info response."""

from __future__ import annotations

import pytest

from kapacitrio.pipeline.build import compile_task
from kapacitrio.pipeline.udf import UDFInfo
from kapacitrio.tick.errors import TickError

UDFS = {
    "movingAverage": UDFInfo(
        "stream", "stream", {"field": ("string",), "size": ("int64",), "as": ("string",)}
    ),
    "outliers": UDFInfo("batch", "batch", {"field": ("string",), "scale": ("float64",)}),
    "chunks": UDFInfo("stream", "batch", {"every": ("time.Duration",), "pair": ("string", "bool")}),
}


def compile(script: str, kind: str = "stream"):
    return compile_task(script, kind, udfs=UDFS)


def err(script: str, kind: str = "stream") -> str:
    with pytest.raises(TickError) as exc:
        compile(script, kind)
    return str(exc.value)


def test_options_are_stored_per_call():
    p = compile(
        "stream|from()@chunks().every(10s).pair('a', TRUE).pair('b', FALSE).quiet()|httpOut('x')"
    )
    node = p.nodes[2]
    assert node.name == "chunks2" and node.props["udf"] == "chunks"
    assert node.props["pair"] == [["a", True], ["b", False]] and node.props["quiet"] is True
    assert (node.wants, node.provides) == ("stream", "batch")


def test_wrong_argument_count_and_type_are_kapacitors_errors():
    assert err("stream|from()@movingAverage().size(1, 2)") == (
        "line 1 char 31: unexpected number of args to size, got 2 expected 1"
    )
    assert err("stream|from()@movingAverage().size(1.5)") == (
        "line 1 char 31: unexpected arg to size, got DOUBLE expected INT"
    )
    assert err("stream|from()@movingAverage().field(3)") == (
        "line 1 char 31: unexpected arg to field, got INT expected STRING"
    )
    assert "unexpected arg to every, got STRING expected DURATION" in err(
        "stream|from()@chunks().every('10s')"
    )
    assert 'no method or property "period" on *pipeline.UDFNode' in err(
        "stream|from()@movingAverage().period(1)"
    )


def test_edges_follow_the_info_response():
    p = compile(
        "batch|query('SELECT v FROM m').period(1m).every(1m)@outliers().field('v').scale(1.5)|httpOut('o')",
        "batch",
    )
    assert p.nodes[2].wants == "batch"
    assert "cannot Window batch edge" in err("stream|from()@chunks()|window()")
    assert "cannot Trickle stream edge" in err("stream|from()@movingAverage()|trickle()")


def test_unknown_udf_and_wrong_operator():
    assert (
        err("stream|from()@nope()")
        == 'line 1 char 15: no method or property "nope" on *pipeline.FromNode'
    )
    assert "Use '@' operator instead: 'node@outliers(..)'" in err("stream|from().outliers()")
