"""Builder tests on hand-built syntax trees (independent of the parser)."""

import pytest

from kapacitrio.pipeline.build import build_pipeline
from kapacitrio.pipeline.dot import dot
from kapacitrio.tick import ast
from kapacitrio.tick.errors import TickError

P = ast.Position


def ch(left, op, name, args, line=1, char=1):
    return ast.ChainNode(
        left=left, op=op, name=name, args=args, pos=P(line, char - 1), name_pos=P(line, char)
    )


def s(v):
    return ast.StringNode(value=v)


def dur(ns, lit):
    return ast.DurationNode(ns=ns, literal=lit)


STREAM = ast.IdentifierNode(name="stream")


def program(*stmts):
    return ast.ProgramNode(statements=list(stmts))


def test_chain_builds_nodes_with_ids_edges_and_props():
    c = ch(STREAM, "|", "from", [])
    c = ch(c, ".", "measurement", [s("cpu")])
    c = ch(c, "|", "window", [])
    c = ch(c, ".", "period", [dur(10**10, "10s")])
    c = ch(c, "|", "mean", [s("value")])
    c = ch(c, "|", "alert", [])
    lam = ast.LambdaNode(
        expr=ast.BinaryNode(
            op=">", left=ast.ReferenceNode(name="mean"), right=ast.IdentifierNode(name="t")
        )
    )
    c = ch(c, ".", "crit", [lam])
    c = ch(c, ".", "post", [s("http://x")])
    c = ch(c, ".", "header", [s("a"), s("b")])
    c = ch(c, ".", "tcp", [s("h:1")])
    c = ch(c, "|", "httpOut", [s("x")])
    decl = ast.DeclarationNode(
        name="t", value=ast.NumberNode(value=10, literal="10"), comment=["thr"]
    )
    p = build_pipeline(program(decl, ast.ExpressionStatement(expr=c)), "stream")
    assert [n.name for n in p.nodes] == [
        "stream0",
        "from1",
        "window2",
        "mean3",
        "alert4",
        "http_out5",
    ]
    window, mean, alert = p.nodes[2], p.nodes[3], p.nodes[4]
    assert (window.wants, window.provides) == ("stream", "batch")
    assert (mean.wants, mean.provides) == ("batch", "stream")
    assert window.props["period"] == 10**10 and window.props["every"] == 0
    assert mean.props["as"] == "mean" and mean.props["field"] == "value"
    crit = alert.props["crit"]
    assert isinstance(crit.expr.right, ast.NumberNode) and crit.expr.right.value == 10
    kinds = [(h.kind, h.args) for h in alert.props["handlers"]]
    assert kinds == [("post", ["http://x"]), ("tcp", ["h:1"])]
    assert alert.props["handlers"][0].props["headers"] == {"a": "b"}
    assert p.vars["t"].type == "int" and p.vars["t"].description == "thr"
    assert dot("t", p) == (
        "digraph t {\nstream0 -> from1;\nfrom1 -> window2;\nwindow2 -> mean3;\n"
        "mean3 -> alert4;\nalert4 -> http_out5;\n}"
    )


@pytest.mark.parametrize(
    ("op", "name", "args", "message"),
    [
        (
            ".",
            "period",
            [s("10s")],
            'line 4 char 10: error calling func "period" on obj *pipeline.WindowNode: '
            "reflect.Set: value of type string is not assignable to type time.Duration",
        ),
        (
            "|",
            "period",
            [dur(1, "1u")],
            'line 4 char 10: no chaining method "period" on *pipeline.WindowNode, but property does '
            "exist. Use '.' operator instead: 'node.period(..)'.",
        ),
        (".", "nope", [], 'line 4 char 10: no method or property "nope" on *pipeline.WindowNode'),
        (
            ".",
            "mean",
            [s("x")],
            'line 4 char 10: no property method "mean" on *pipeline.WindowNode, but chaining method '
            "does exist. Use '|' operator instead: 'node|mean(..)'.",
        ),
    ],
)
def test_method_resolution_errors(op, name, args, message):
    c = ch(ch(STREAM, "|", "from", []), "|", "window", [])
    c = ch(c, op, name, args, 4, 10)
    with pytest.raises(TickError) as exc:
        build_pipeline(program(c), "stream")
    assert str(exc.value) == message


def test_reference_where_string_expected_hints_quotes():
    c = ch(ch(STREAM, "|", "from", []), ".", "measurement", [ast.ReferenceNode(name="cpu")], 2, 3)
    with pytest.raises(TickError) as exc:
        build_pipeline(program(c), "stream")
    assert str(exc.value) == (
        "line 2 char 3: cannot assign *ast.ReferenceNode to type string, did you use double quotes "
        "instead of single quotes?"
    )
