"""Lexer unit tests: the two scanning modes, keywords, literals, comments, byte offsets and errors."""

from __future__ import annotations

import pytest

from kapacitrio.tick.lexer import lex


def kinds(text: str) -> list[str]:
    return [t.name for t in lex(text)]


def pairs(text: str) -> list[tuple[str, str]]:
    return [(t.name, t.text) for t in lex(text)]


def test_star_is_multiplication_only_after_an_operand() -> None:
    assert kinds("a * b") == ["TokenIdent", "TokenMult", "TokenIdent", "TokenEOF"]
    assert kinds("groupBy(*)") == [
        "TokenIdent",
        "TokenLParen",
        "TokenStar",
        "TokenRParen",
        "TokenEOF",
    ]
    assert kinds("(a) * 2")[3] == "TokenMult"


def test_slash_is_division_after_an_operand_and_a_regex_elsewhere() -> None:
    assert kinds("a / b") == ["TokenIdent", "TokenDiv", "TokenIdent", "TokenEOF"]
    assert pairs("f(/a b/)")[2] == ("TokenRegex", "/a b/")
    assert pairs("x =~ /a\\/b/")[2] == ("TokenRegex", "/a\\/b/")
    assert pairs('"x" !~ /y/')[1:3] == [("TokenRegexNotEqual", "!~"), ("TokenRegex", "/y/")]


def test_a_regex_is_an_operand() -> None:
    assert kinds("/a/ =~ /b/") == ["TokenRegex", "TokenRegexEqual", "TokenRegex", "TokenEOF"]
    assert kinds("/a/ * 2")[1] == "TokenMult"


def test_assignment_is_followed_by_a_regex_even_when_it_looks_like_a_comment() -> None:
    assert pairs("var x = //") == [
        ("TokenVar", "var"),
        ("TokenIdent", "x"),
        ("TokenAsgn", "="),
        ("TokenRegex", "//"),
        ("TokenEOF", ""),
    ]


def test_minus_and_not_are_single_tokens() -> None:
    assert pairs("-1") == [("TokenMinus", "-"), ("TokenNumber", "1"), ("TokenEOF", "")]
    assert pairs("a - 1")[1] == ("TokenMinus", "-")
    assert pairs("!TRUE")[0] == ("TokenNot", "!")
    assert pairs("a != b")[1] == ("TokenNotEqual", "!=")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("==", "TokenEqual"),
        ("!=", "TokenNotEqual"),
        ("<", "TokenLess"),
        ("<=", "TokenLessEqual"),
        (">", "TokenGreater"),
        (">=", "TokenGreaterEqual"),
        ("=~", "TokenRegexEqual"),
        ("!~", "TokenRegexNotEqual"),
        ("+", "TokenPlus"),
        ("%", "TokenMod"),
        ("AND", "TokenAnd"),
        ("OR", "TokenOr"),
    ],
)
def test_binary_operators(text: str, kind: str) -> None:
    assert pairs(f"a {text} b")[1] == (kind, text)


def test_keywords_are_case_sensitive() -> None:
    assert kinds("var dbrp TRUE FALSE AND OR") == [
        "TokenVar",
        "TokenDBRP",
        "TokenTrue",
        "TokenFalse",
        "TokenAnd",
        "TokenOr",
        "TokenEOF",
    ]
    assert kinds("true and Var") == ["TokenIdent", "TokenIdent", "TokenIdent", "TokenEOF"]


def test_lambda_is_a_keyword_only_with_a_colon() -> None:
    assert pairs("lambda: 1")[0] == ("TokenLambda", "lambda:")
    assert pairs("lambda : 1")[0] == ("TokenIdent", "lambda")
    assert pairs("lambda")[0] == ("TokenIdent", "lambda")


@pytest.mark.parametrize("literal", ["1u", "1µ", "10ms", "5s", "3m", "2h", "1d", "1w"])
def test_duration_units(literal: str) -> None:
    assert pairs(literal)[0] == ("TokenDuration", literal)


def test_numbers_and_dots() -> None:
    assert pairs("5.")[0] == ("TokenNumber", "5.")
    assert pairs(".5")[0] == ("TokenNumber", ".5")
    assert kinds("a.b") == ["TokenIdent", "TokenDot", "TokenIdent", "TokenEOF"]
    # a fraction cannot carry a unit: the unit becomes an identifier
    assert pairs("1.5s")[:2] == [("TokenNumber", "1.5"), ("TokenIdent", "s")]


def test_offsets_are_utf8_byte_offsets() -> None:
    tokens = lex("'é' + 1µ")
    assert [(t.name, t.offset) for t in tokens] == [
        ("TokenString", 0),
        ("TokenPlus", 5),
        ("TokenDuration", 7),
        ("TokenEOF", 10),
    ]


def test_strings() -> None:
    assert pairs("'a\\'b'")[0] == ("TokenString", "'a\\'b'")
    assert pairs("'''it's'''")[0] == ("TokenString", "'''it's'''")
    assert pairs("''")[0] == ("TokenString", "''")
    assert pairs("'''a\nb'''")[0] == ("TokenString", "'''a\nb'''")


def test_consecutive_comment_lines_are_one_token_and_a_blank_line_splits_them() -> None:
    text = "// a\n  // b\n\n// c\nx"
    assert pairs(text) == [
        ("TokenComment", "// a\n  // b\n"),
        ("TokenComment", "// c\n"),
        ("TokenIdent", "x"),
        ("TokenEOF", ""),
    ]


def test_comment_after_an_operand() -> None:
    assert pairs("x // note\n|y()")[:3] == [
        ("TokenIdent", "x"),
        ("TokenComment", "// note\n"),
        ("TokenPipe", "|"),
    ]


@pytest.mark.parametrize(
    ("text", "message", "offset"),
    [
        ("'abc", "unterminated string", 0),
        ("x + '''abc''", "unterminated string", 4),
        ('"abc', "unterminated field reference", 0),
        ("f(/abc", "unterminated regex", 2),
        ("1.2.3", "multiple decimals in number", 0),
        ("a # b", "unknown state, last char: '#'", 2),
        ("a ; b", "unknown state, last char: ';'", 2),
        ("\x01", "unknown state, last char: '\\x01'", 0),
        ("== 1", "unknown state, last char: '='", 0),
    ],
)
def test_errors_end_the_token_list(text: str, message: str, offset: int) -> None:
    last = lex(text)[-1]
    assert (last.name, last.text, last.offset) == ("TokenError", message, offset)
