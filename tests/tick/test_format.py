"""Formatter unit tests: literal forms, layout rules, comments, idempotence, and the fmt command."""

from __future__ import annotations

import pytest

from kapacitrio.cli import main
from kapacitrio.tick.errors import ParseError
from kapacitrio.tick.format import format_float, format_node, format_script
from kapacitrio.tick.parser import parse_expression
from kapacitrio.tick.values import format_duration


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("var x = 0600", "var x = 0600\n"),
        ("var x = 00", "var x = 00\n"),
        ("var x = 5.", "var x = 5.0\n"),
        ("var x = .5", "var x = 0.5\n"),
        ("var x = 1.50", "var x = 1.5\n"),
        ("var x = 0.0000001", "var x = 0.0000001\n"),
        ("var x = 100000000000000000000.0", "var x = 100000000000000000000.0\n"),
        ("var x = 90s", "var x = 90s\n"),
        ("var s = 'it\\'s'", "var s = 'it\\'s'\n"),
        ("var s = '''it's'''", "var s = '''it's'''\n"),
        ("var r = /a\\/b/", "var r = /a\\/b/\n"),
        ("var x = - 1", "var x = -1\n"),
        ("var b = ! TRUE", "var b = !TRUE\n"),
        ("var l = [ 'a' ,b,* ,]", "var l = ['a', b, *]\n"),
        ("var t   string", "var t string\n"),
        ('dbrp  "db" . "rp"', 'dbrp "db"."rp"\n'),
        ('f("a\\"b")', 'f("a\\"b")\n'),
    ],
)
def test_literals_and_statements(source: str, expected: str) -> None:
    assert format_script(source) == expected


def test_statements_are_separated_by_one_blank_line() -> None:
    source = 'dbrp "a"."b"\n\n\n\nvar x int\nvar y = 1'
    assert format_script(source) == 'dbrp "a"."b"\n\nvar x int\n\nvar y = 1\n'


def test_chain_layout() -> None:
    source = "stream@myudf().opt(1)|where(lambda:\"a\">1).name|httpOut('x')"
    assert format_script(source) == (
        "stream\n"
        "    @myudf()\n"
        "        .opt(1)\n"
        '    |where(lambda: "a" > 1)\n'
        "        .name\n"
        "    |httpOut('x')\n"
    )


def test_multiline_calls_put_one_argument_per_line() -> None:
    assert format_script("f(1,\n2,)") == "f(\n    1,\n    2\n)\n"
    assert format_script("stream|eval(lambda: 1,\n lambda: 2)") == (
        "stream\n    |eval(\n        lambda: 1,\n        lambda: 2\n    )\n"
    )


def test_multiline_binary_keeps_the_break_after_the_operator() -> None:
    assert format_script('var f = lambda: "a" > 1 AND\n"b" < 2') == (
        'var f = lambda: "a" > 1 AND\n"b" < 2\n'
    )
    assert format_script('f(lambda: ("a" > 1 AND\n"b" < 2))') == (
        'f(lambda: ("a" > 1 AND\n        "b" < 2))\n'
    )


def test_redundant_parens_are_dropped() -> None:
    assert format_script('f(lambda: (("a")) + (sin(1)) * (2 - 1))') == (
        'f(lambda: "a" + sin(1) * (2 - 1))\n'
    )


def test_comments() -> None:
    source = "// about x\n//\n\n// second\nvar x = stream\n  // steps\n  |log()\n// done"
    assert format_script(source) == (
        "// about x\n//\n\n// second\nvar x = stream\n    // steps\n    |log()\n\n// done\n\n"
    )


def test_comment_between_operator_and_method_name() -> None:
    assert format_script("stream|\n// odd\nlog()") == "stream\n    |\n    // odd\n    log()\n"


def test_format_node_and_helpers() -> None:
    assert format_node(parse_expression('"a"   >   5m')) == '"a" > 5m'
    assert [format_duration(ns) for ns in (0, 1, 1_500_000, 90_000_000_000, 60_000_000_000)] == [
        "0s",
        "1ns",
        "1500u",
        "90s",
        "1m",
    ]
    assert format_duration(7 * 86_400_000_000_000) == "1w"
    assert format_float(1e21) == "1000000000000000000000.0"
    assert format_float(2.5e-05) == "0.000025"


IDEMPOTENT = [
    "var x = 1",
    "stream|from().measurement('cpu').where(lambda: \"host\" =~ /^a\\/b$/)|window().period(10s)",
    "// c\nvar a = [ 'x', y ]\n// tail\n",
    "global(lambda: \n// If this\n(1 + 2) \n< (sin(6))\nAND \n// more\n(TRUE OR FALSE), 'arg',)",
    "var x = stream\n|eval(lambda: -\"v\" * 2.50,\n lambda: !(\"b\" == 1))\n.as('a', 'b')\n.tags('t')",
    "f(\n['a', 'b']\n)",
    "var t lambda\nvar u = '''multi\nline'''\n",
]


@pytest.mark.parametrize("source", IDEMPOTENT)
def test_formatting_is_idempotent(source: str) -> None:
    once = format_script(source)
    assert format_script(once) == once


def test_parse_errors_propagate() -> None:
    with pytest.raises(ParseError):
        format_script("var x = ")


# -- the fmt command ---------------------------------------------------------------------------


def test_fmt_prints_formatted_files(tmp_path, capsys) -> None:
    path = tmp_path / "a.tick"
    path.write_text("var x=1\n", encoding="utf-8")
    assert main(["fmt", str(path)]) == 0
    assert capsys.readouterr().out == "var x = 1\n"
    assert path.read_text(encoding="utf-8") == "var x=1\n"


def test_fmt_rewrites_in_place_with_a_backup(tmp_path, capsys) -> None:
    path = tmp_path / "a.tick"
    path.write_text("stream|log()", encoding="utf-8")
    assert main(["fmt", "-w", "-b", str(path)]) == 0
    assert capsys.readouterr().out == ""
    assert path.read_text(encoding="utf-8") == "stream\n    |log()\n"
    assert (tmp_path / "a.tick.orig").read_text(encoding="utf-8") == "stream|log()"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tick", "a.tick.orig"]


def test_fmt_reports_errors_and_leaves_the_file_alone(tmp_path, capsys) -> None:
    path = tmp_path / "bad.tick"
    path.write_text("var x = ", encoding="utf-8")
    assert main(["fmt", "-w", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{path}: parser: unexpected EOF line 1 char 9")
    assert path.read_text(encoding="utf-8") == "var x = "
    assert main(["fmt", str(tmp_path / "missing.tick")]) == 1
    assert "missing.tick" in capsys.readouterr().err


def test_fmt_reads_stdin(monkeypatch, capsys) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("var y=2"))
    assert main(["fmt"]) == 0
    assert capsys.readouterr().out == "var y = 2\n"
    assert main(["fmt", "-w"]) == 2


def test_long_chains_and_sums_format_without_deep_recursion() -> None:
    steps = 1500
    chain = format_script("stream" + "|log()" * steps)
    assert chain == "stream\n" + "    |log()\n" * steps
    total = format_script("var x = lambda: " + " + ".join(["1"] * 3000))
    assert total == "var x = lambda: " + " + ".join(["1"] * 3000) + "\n"


FUZZ_BASE = (
    "var t = 5m\n"
    'stream|from().measurement(\'cpu\').where(lambda: "host" =~ /^a/ AND -"v" > 1.5)'
    '|window().period(t).every(10s)|eval(lambda: ("a" + 1) / ((4 + "b") * sin("c")))'
    ".as('x')|alert().crit(lambda: !(\"x\" < 2) OR \"y\" != 'z')"
)


@pytest.mark.parametrize("insert", ["\n", "\n// note\n"])
def test_formatting_is_idempotent_wherever_a_newline_or_comment_goes(insert: str) -> None:
    from kapacitrio.tick.lexer import lex

    data = FUZZ_BASE.encode()
    for token in lex(FUZZ_BASE):
        variant = (data[: token.offset] + insert.encode() + data[token.offset :]).decode()
        try:
            once = format_script(variant)
        except ParseError:
            continue  # e.g. a comment between an operand and a binary operator
        assert format_script(once) == once, variant


def test_comment_before_the_first_operand_of_an_expression_on_its_own_line() -> None:
    # the block is written once, ahead of the expression, not after a stray indent
    assert format_script("f(1,\n// c\n(2 + 3) * 4)") == "f(\n    1,\n    // c\n    (2 + 3) * 4\n)\n"
    assert format_script("f(1,\n// c\n2 + 3)") == "f(\n    1,\n    // c\n    2 + 3\n)\n"


def test_comment_before_a_unary_operator_is_kept() -> None:
    assert format_script("f(\n// c\n-1)") == "f(\n    // c\n    -1\n)\n"
    assert format_script("f(-(1 + 2\n// c\n))") == "f(\n    // c\n    -(1 + 2)\n)\n"


def test_no_comment_is_written_where_it_would_read_back_as_a_regex() -> None:
    # after `=`, `=~` and `!~` the scanner takes `//` for a regex
    assert format_script("var x = -(1 + 2\n// c\n)") == "var x = -(1 + 2)\n"
    assert format_script("var x = (\n// c\n1 + 2)") == "var x = (\n    // c\n    1 + 2)\n"
    assert format_script("var x = a\n// c\n- 2") == "var x = a -\n2\n"
    assert (
        format_script("var s = stream\n// step\n|log()")
        == "var s = stream\n    // step\n    |log()\n"
    )
    assert format_script('f(lambda: "a" =~ (\n// c\n\n/x/))') == 'f(lambda: "a" =~\n    /x/)\n'


def test_a_regex_under_a_comment_keeps_a_blank_line_between() -> None:
    # a line starting with `/` right under a comment line would continue the comment
    assert format_script("f(\n// c\n\n/x/)") == "f(\n    // c\n\n    /x/\n)\n"
