"""Parser unit tests: error texts and positions, every literal kind, precedence, flags, comments."""

from __future__ import annotations

import pytest

from kapacitrio.tick import ast
from kapacitrio.tick.errors import ParseError
from kapacitrio.tick.parser import parse, parse_expression

OPERAND = '"number","string","duration","identifier","TRUE","FALSE","==","(","-","!"'


def value_of(script: str) -> ast.Node:
    """The value of the single declaration in `script`."""
    (decl,) = parse(script).statements
    assert isinstance(decl, ast.DeclarationNode)
    return decl.value


def error_of(script: str) -> str:
    with pytest.raises(ParseError) as info:
        parse(script)
    return str(info.value)


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("var x = 5 +", f'unexpected EOF line 1 char 12 in "ar x = 5 +". expected: {OPERAND}'),
        (
            'stream|from().groupBy("host" "cpu")',
            'unexpected reference line 1 char 30 in "By("host" "cpu")". expected: ")"',
        ),
        (
            "var l = ['a', 1]",
            'unexpected number line 1 char 15 in "l = [\'a\', 1]". expected: "identifier","string","*"',
        ),
        ("|from()", f'unexpected | line 1 char 1 in "|from()". expected: {OPERAND}'),
        ("stream|", 'unexpected EOF line 1 char 8 in "stream|". expected: "identifier"'),
        ("stream|from", 'unexpected EOF line 1 char 12 in "tream|from". expected: "("'),
        ("var x 5", 'unexpected number line 1 char 7 in "var x 5". expected: "identifier"'),
        (
            "var a = 1\nvar b = (2 3",
            'unexpected number line 2 char 12 in "ar b = (2 3". expected: ")"',
        ),
        (
            "stream|from()\n    .measurement('cpu'\n",
            'unexpected EOF line 3 char 1 in "". expected: ")"',
        ),
        (
            'dbrp "db" "rp"',
            'unexpected reference line 1 char 11 in "dbrp "db" "rp"". expected: "."',
        ),
        (
            "dbrp db.rp",
            'unexpected identifier line 1 char 6 in "dbrp db.rp". expected: "reference"',
        ),
    ],
)
def test_syntax_errors(script: str, message: str) -> None:
    assert error_of(script) == "parser: " + message


def test_scan_errors_are_reported_where_the_parser_meets_them() -> None:
    assert error_of("var x = 'abc") == (
        f'parser: unexpected unterminated string line 1 char 9 in "var x = \'abc". expected: {OPERAND}'
    )
    assert error_of("var x = 1 # 2") == (
        "parser: unexpected unknown state, last char: '#' line 1 char 11 in \"var x = 1 # 2\"."
        f" expected: {OPERAND}"
    )


def test_snippet_counts_bytes_and_stays_on_one_line() -> None:
    assert error_of("var µ = 1\nvar x = )") == (
        f'parser: unexpected ) line 2 char 9 in "var x = )". expected: {OPERAND}'
    )


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("var x = 08", 'parser: illegal number syntax: "08"'),
        ("var x = 9223372036854775808", 'parser: illegal number syntax: "9223372036854775808"'),
        ("var d = 9999999999999999999s", "parser: invalid duration"),
        (
            "var d = 99999999999999w",
            "parser: overflowed duration 99999999999999w: choose a smaller duration or INF",
        ),
        # a bad literal before a syntax error is reported first, as Kapacitor converts it first
        ("var x = 09\nvar y = ", 'parser: illegal number syntax: "09"'),
    ],
)
def test_literal_errors(script: str, message: str) -> None:
    assert error_of(script) == message


def test_expression_must_end_at_eof() -> None:
    with pytest.raises(ParseError) as info:
        parse_expression('"a" > 1 )')
    assert str(info.value) == 'parser: unexpected ) line 1 char 9 in ""a" > 1 )". expected: "EOF"'


# -- literals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("literal", "value"),
    [("42", 42), ("0", 0), ("0600", 384), ("01", 1), ("1.5", 1.5), (".5", 0.5), ("5.", 5.0)],
)
def test_numbers(literal: str, value: int | float) -> None:
    node = value_of(f"var x = {literal}")
    assert isinstance(node, ast.NumberNode)
    assert node.value == value and type(node.value) is type(value)
    assert node.literal == literal


def test_negative_numbers_are_unary_minus() -> None:
    node = value_of("var x = -0600")
    assert isinstance(node, ast.UnaryNode) and node.op == "-"
    assert node.operand.value == 384


@pytest.mark.parametrize(
    ("literal", "ns"),
    [
        ("1u", 1_000),
        ("1µ", 1_000),
        ("10ms", 10_000_000),
        ("5s", 5_000_000_000),
        ("3m", 180_000_000_000),
        ("2h", 7_200_000_000_000),
        ("1d", 86_400_000_000_000),
        ("1w", 604_800_000_000_000),
    ],
)
def test_durations(literal: str, ns: int) -> None:
    node = value_of(f"var d = {literal}")
    assert isinstance(node, ast.DurationNode)
    assert (node.ns, node.literal) == (ns, literal)


def test_strings() -> None:
    single = value_of("var s = 'it\\'s a\\nb'")
    assert (single.value, single.triple) == ("it's a\\nb", False)
    triple = value_of("var s = '''it's\n\\'raw'''")
    assert (triple.value, triple.triple) == ("it's\n\\'raw", True)
    assert value_of("var s = ''").value == ""


def test_reference_unescapes_double_quotes() -> None:
    (statement,) = parse('f("a\\"b")').statements
    (arg,) = statement.expr.args
    assert isinstance(arg, ast.ReferenceNode) and arg.name == 'a"b'


def test_regex_unescapes_slashes_only() -> None:
    node = value_of("var r = /a\\/b\\d/")
    assert isinstance(node, ast.RegexNode)
    assert node.pattern == "a/b\\d"
    assert node.literal == "a\\/b\\d"


def test_bools_lists_and_star() -> None:
    assert value_of("var b = TRUE").value is True
    assert value_of("var b = FALSE").value is False
    items = value_of("var l = ['a', b, *,]").items
    assert [type(i) for i in items] == [ast.StringNode, ast.IdentifierNode, ast.StarNode]
    assert value_of("var l = []").items == []


def test_declarations_and_dbrp() -> None:
    typed, lam, dbrp = parse('var t duration\nvar lambda = 1\ndbrp "tele"."auto"').statements
    assert (typed.name, typed.type_name, typed.value) == ("t", "duration", None)
    assert typed.name_pos == ast.Position(line=1, char=5, offset=4)
    assert lam.name == "lambda"
    assert isinstance(dbrp, ast.DBRPNode) and (dbrp.db, dbrp.rp) == ("tele", "auto")


def test_lambda_keyword_needs_the_colon() -> None:
    node = value_of('var f = lambda: "v" > 1')
    assert isinstance(node, ast.LambdaNode)
    assert isinstance(node.expr, ast.BinaryNode) and node.expr.op == ">"


# -- chains ------------------------------------------------------------------------------------


def test_chain_is_left_associative_with_its_operators() -> None:
    (statement,) = parse("stream|from().measurement('cpu').name@udf()|window()").statements
    steps = []
    node = statement.expr
    while isinstance(node, ast.ChainNode):
        steps.append((node.op, node.name, None if node.args is None else len(node.args)))
        node = node.left
    assert isinstance(node, ast.IdentifierNode) and node.name == "stream"
    assert steps[::-1] == [
        ("|", "from", 0),
        (".", "measurement", 1),
        (".", "name", None),
        ("@", "udf", 0),
        ("|", "window", 0),
    ]


def test_global_function_may_start_a_chain() -> None:
    (statement,) = parse("stream()|window()").statements
    chain = statement.expr
    assert isinstance(chain, ast.ChainNode)
    assert (chain.op, chain.name) == ("|", "window")
    assert isinstance(chain.left, ast.FunctionNode)
    assert (chain.left.name, chain.left.args) == ("stream", [])


def test_statements_may_follow_each_other_without_separators() -> None:
    statements = parse("var x = stream x|log() var y = 1").statements
    assert [type(s) for s in statements] == [
        ast.DeclarationNode,
        ast.ExpressionStatement,
        ast.DeclarationNode,
    ]


# -- expressions -------------------------------------------------------------------------------


def shape(node: ast.Node) -> object:
    """A compact nested form of an expression tree, to compare structure."""
    if isinstance(node, ast.BinaryNode):
        return (shape(node.left), node.op, shape(node.right))
    if isinstance(node, ast.UnaryNode):
        return (node.op, shape(node.operand))
    if isinstance(node, ast.NumberNode):
        return node.value
    if isinstance(node, ast.ReferenceNode):
        return node.name
    if isinstance(node, ast.IdentifierNode):
        return node.name
    if isinstance(node, ast.BoolNode):
        return node.value
    if isinstance(node, ast.FunctionNode):
        return (node.name, [shape(a) for a in node.args])
    return type(node).__name__


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("1 + 2 * 3", (1, "+", (2, "*", 3))),
        ("1 - 2 - 3", ((1, "-", 2), "-", 3)),
        ("8 / 4 % 3 * 2", (((8, "/", 4), "%", 3), "*", 2)),
        ("a OR b AND c", ("a", "OR", ("b", "AND", "c"))),
        ("a AND b OR c", (("a", "AND", "b"), "OR", "c")),
        ("a == b < c", ("a", "==", ("b", "<", "c"))),
        ('"x" =~ a AND 1 + 1 >= 2', (("x", "=~", "a"), "AND", ((1, "+", 1), ">=", 2))),
        ("(1 + 2) * 3", ((1, "+", 2), "*", 3)),
        ("-a * b", (("-", "a"), "*", "b")),
        ("!a AND b", (("!", "a"), "AND", "b")),
        ("--1", ("-", ("-", 1))),
        ("sigma(x + 1, 2) > 0", (("sigma", [("x", "+", 1), 2]), ">", 0)),
        ("1 + 2 - 3 * 4 / 5", ((1, "+", 2), "-", ((3, "*", 4), "/", 5))),
    ],
)
def test_precedence(text: str, tree: object) -> None:
    assert shape(parse_expression(text)) == tree


def test_parens_are_remembered_on_binary_nodes_only() -> None:
    node = parse_expression("(1 + 2) * (3)")
    assert node.left.parens is True and node.parens is False
    assert isinstance(node.right, ast.NumberNode)


def test_multiline_flags() -> None:
    assert parse_expression("1 +\n2").multiline is True
    assert parse_expression("1\n- 2").multiline is True
    assert parse_expression("1 + 2").multiline is False
    assert parse_expression("f(1,\n2)").multiline is True
    assert parse_expression("f(\n1)").multiline is True
    assert parse_expression("f(1, 2)").multiline is False


def test_positions_follow_kapacitor() -> None:
    node = value_of("var x = 1 +\n  foo(2)")
    assert node.pos == ast.Position(
        line=1, char=11, offset=10
    )  # a binary node sits at its operator
    assert node.right.pos == ast.Position(line=2, char=3, offset=14)
    (statement,) = parse("stream\n  |from()").statements
    assert statement.expr.pos == ast.Position(line=2, char=3, offset=9)
    assert statement.expr.name_pos == ast.Position(line=2, char=4, offset=10)


# -- comments ----------------------------------------------------------------------------------


def test_comment_block_above_a_declaration_is_its_description() -> None:
    (decl,) = parse("// the threshold\n//   in percent\nvar t = 42").statements
    assert decl.comment == ["the threshold", "  in percent"]


def test_blank_line_in_a_comment_block_and_empty_comment_lines() -> None:
    (decl,) = parse("// a\n\n// b\n//\nvar t = 42").statements
    assert decl.comment == ["a", "\n", "b", ""]


def test_comments_attach_to_chain_steps_operators_and_parens() -> None:
    (statement,) = parse("stream\n// c1\n|from()\n  // c2\n.measurement('m')").statements
    assert statement.expr.comment == ["c2"]
    assert statement.expr.left.comment == ["c1"]
    node = parse_expression("f(1\n// minus\n- 2, // paren\n(3 + 4))")
    assert node.args[0].comment == ["minus"]
    assert node.args[1].comment == ["paren"] and node.args[1].parens


def test_trailing_comment() -> None:
    program = parse("var x = 1\n// the end\n")
    assert program.trailing_comment == ["the end"]
    assert program.trailing_comments == [["the end"]]
    assert parse("var x = 1").trailing_comment == []


def test_empty_script() -> None:
    program = parse("  \n// only a comment\n")
    assert program.statements == []
    assert program.trailing_comment == ["only a comment"]


def test_invalid_regex_is_a_parse_error() -> None:
    message = error_of("var r = /a(/")
    assert message.startswith("parser: error parsing regexp: ")
    assert message.endswith("`a(`")


def test_too_deep_nesting_is_a_clear_error() -> None:
    with pytest.raises(ParseError, match="nested too deeply"):
        parse_expression("(" * 400 + "1" + ")" * 400)


def test_a_regex_may_be_the_left_operand() -> None:
    node = parse_expression("/a/ =~ /b/")
    assert (type(node.left), node.op, type(node.right)) == (ast.RegexNode, "=~", ast.RegexNode)
