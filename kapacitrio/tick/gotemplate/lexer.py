"""Tokenizer for the inside of a template action."""

from __future__ import annotations

import re
from collections.abc import Callable

from kapacitrio.tick.gotemplate.errors import TemplateError

_ACTION_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<decl>:=)
  | (?P<assign>=)
  | (?P<pipe>\|)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<comma>,)
  | (?P<str>"(?:[^"\\\n]|\\.)*")
  | (?P<raw>`[^`]*`)
  | (?P<char>'(?:[^'\\\n]|\\.)+')
  | (?P<num>[-+]?(?:0[xX][0-9a-fA-F_]+|(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?))
  | (?P<var>\$[A-Za-z_0-9]*)
  | (?P<field>(?:\.[A-Za-z_][A-Za-z_0-9]*)+)
  | (?P<dot>\.)
  | (?P<ident>[A-Za-z_][A-Za-z_0-9]*)
    """,
    re.VERBOSE,
)

_FIELD_CHAIN = re.compile(r"(?:\.[A-Za-z_][A-Za-z_0-9]*)+")


class _Tok:
    __slots__ = ("kind", "text")

    def __init__(self, kind: str, text: str) -> None:
        self.kind = kind
        self.text = text

    def __repr__(self) -> str:
        return f"{self.kind}:{self.text}"


def _lex_action(text: str, err: Callable[[str], TemplateError]) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _ACTION_TOKEN.match(text, pos)
        if m is None:
            raise err(f"unexpected {text[pos]!r} in command")
        kind = m.lastgroup or ""
        tok_text = m.group(0)
        pos = m.end()
        if kind == "ws":
            continue
        # field access directly after `)` or a variable: `(x).Field`, `$x.Field`
        if kind == "var" or kind == "rparen":
            toks.append(_Tok(kind, tok_text))
            fm = _FIELD_CHAIN.match(text, pos)
            if fm:
                toks.append(_Tok("chain", fm.group(0)))
                pos = fm.end()
            continue
        toks.append(_Tok(kind, tok_text))
    return toks
