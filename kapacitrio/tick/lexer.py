"""The TICKscript lexer: turns source text into tokens the way Kapacitor's scanner does.

The scanner has two modes. After an operand (identifier, number, string, reference, `)`) it first
tries to read a binary operator; everywhere else `*` is a star, `/` starts a regex and `-`/`!` are
unary operators. Offsets are byte offsets into the UTF-8 encoded source. A scan error ends the token
list with a `TokenError` whose text is the message.

One deliberate difference: Kapacitor's scanner does not look for an operator after a regex, so it
rejects `/a/ =~ "x"`; here a regex is an operand like any other, and such an expression parses (the
lambda compiler then reports the type error Kapacitor's expression tests expect).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

EOF = "TokenEOF"
ERROR = "TokenError"
COMMENT = "TokenComment"

#: Kapacitor's display name of each token kind, used in parse error messages.
DISPLAY = {
    ERROR: "ERR",
    EOF: "EOF",
    "TokenVar": "var",
    "TokenDBRP": "dbrp",
    "TokenIdent": "identifier",
    "TokenReference": "reference",
    "TokenDuration": "duration",
    "TokenLambda": "lambda",
    "TokenNumber": "number",
    "TokenString": "string",
    "TokenRegex": "regex",
    COMMENT: "//",
    "TokenStar": "*",
    "TokenDot": ".",
    "TokenPipe": "|",
    "TokenAt": "@",
    "TokenAsgn": "=",
    "TokenLParen": "(",
    "TokenRParen": ")",
    "TokenLSBracket": "[",
    "TokenRSBracket": "]",
    "TokenComma": ",",
    "TokenNot": "!",
    "TokenTrue": "TRUE",
    "TokenFalse": "FALSE",
    "TokenPlus": "+",
    "TokenMinus": "-",
    "TokenMult": "*",
    "TokenDiv": "/",
    "TokenMod": "%",
    "TokenAnd": "AND",
    "TokenOr": "OR",
    "TokenEqual": "==",
    "TokenNotEqual": "!=",
    "TokenLess": "<",
    "TokenGreater": ">",
    "TokenLessEqual": "<=",
    "TokenGreaterEqual": ">=",
    "TokenRegexEqual": "=~",
    "TokenRegexNotEqual": "!~",
}

#: Operator text -> token kind, for the operators the binary-operator mode reads.
OPERATORS = {
    "!": "TokenNot",
    "+": "TokenPlus",
    "-": "TokenMinus",
    "*": "TokenMult",
    "/": "TokenDiv",
    "%": "TokenMod",
    "==": "TokenEqual",
    "!=": "TokenNotEqual",
    "<": "TokenLess",
    ">": "TokenGreater",
    "<=": "TokenLessEqual",
    ">=": "TokenGreaterEqual",
    "=~": "TokenRegexEqual",
    "!~": "TokenRegexNotEqual",
}

KEYWORDS = {
    "AND": "TokenAnd",
    "OR": "TokenOr",
    "TRUE": "TokenTrue",
    "FALSE": "TokenFalse",
    "var": "TokenVar",
    "dbrp": "TokenDBRP",
}

#: Characters that open a single-character token in the normal mode (and the mode that follows).
_PUNCT = {
    "(": ("TokenLParen", False),
    ")": ("TokenRParen", True),
    "[": ("TokenLSBracket", False),
    "]": ("TokenRSBracket", False),
    "|": ("TokenPipe", False),
    "@": ("TokenAt", False),
    ",": ("TokenComma", False),
    "*": ("TokenStar", False),
}

DURATION_UNITS = "uµsmhdw"
_GO_SPACES = "\t\n\v\f\r \x85\xa0"


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind (Kapacitor's constant name), byte offset and raw source text."""

    name: str
    offset: int
    text: str


def is_space(ch: str) -> bool:
    """Go's unicode.IsSpace."""
    return ch in _GO_SPACES or (ord(ch) > 0xFF and ch.isspace())


def is_digit(ch: str) -> bool:
    """Go's unicode.IsDigit (decimal digits of any script)."""
    return ch.isdecimal()


def is_letter(ch: str) -> bool:
    """Go's unicode.IsLetter."""
    return ch.isalpha()


def go_quote_rune(ch: str) -> str:
    """Format a character the way Go's `%q` formats a rune."""
    simple = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    simple.update({"\v": "\\v", "\\": "\\\\", "'": "\\'"})
    if ch in simple:
        return f"'{simple[ch]}'"
    code = ord(ch)
    if ch == " " or (ch.isprintable() and unicodedata.category(ch) != "Zs"):
        return f"'{ch}'"
    if code < 0x80:
        return f"'\\x{code:02x}'"
    if code <= 0xFFFF:
        return f"'\\u{code:04x}'"
    return f"'\\U{code:08x}'"


class _Scanner:
    """The state machine; `run()` returns the token list."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        self.start = 0
        self.pos = 0
        self.tokens: list[Token] = []
        self._byte_offsets: list[int] | None = None
        if not text.isascii():
            offsets = [0] * (self.n + 1)
            total = 0
            for i, ch in enumerate(text):
                offsets[i] = total
                total += len(ch.encode("utf-8"))
            offsets[self.n] = total
            self._byte_offsets = offsets

    # -- helpers ---------------------------------------------------------------------------

    def byte_offset(self, index: int) -> int:
        return index if self._byte_offsets is None else self._byte_offsets[index]

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < self.n else ""

    def emit(self, name: str) -> None:
        self.tokens.append(
            Token(name, self.byte_offset(self.start), self.text[self.start : self.pos])
        )
        self.start = self.pos

    def error(self, message: str) -> None:
        self.tokens.append(Token(ERROR, self.byte_offset(self.start), message))

    def skip_space(self) -> None:
        while self.pos < self.n and is_space(self.text[self.pos]):
            self.pos += 1
        self.start = self.pos

    # -- states: each returns the next state, or None to stop ---------------------------

    def run(self) -> list[Token]:
        state = self.lex_token
        while state is not None:
            state = state()
        return self.tokens

    def lex_token(self):  # noqa: C901 - a flat dispatch on the next character
        while True:
            if self.pos >= self.n:
                self.emit(EOF)
                return None
            ch = self.text[self.pos]
            if ch in "-!":
                self.pos += 1
                self.emit(OPERATORS[ch])
                return self.lex_token
            if is_digit(ch) or ch == ".":
                return self.lex_number
            if is_letter(ch):
                return self.lex_ident
            if ch == '"':
                return self.lex_reference
            if ch == "'":
                return self.lex_string
            if is_space(ch):
                self.pos += 1
                self.start = self.pos
                continue
            if ch in _PUNCT:
                name, operand = _PUNCT[ch]
                self.pos += 1
                self.emit(name)
                return self.lex_operator if operand else self.lex_token
            if ch == "/":
                if self.text.startswith("//", self.pos):
                    return self.lex_comment
                return self.lex_regex
            self.error(f"unknown state, last char: {go_quote_rune(ch)}")
            return None

    def lex_operator(self):
        """After an operand: read a binary operator if one follows."""
        self.skip_space()
        ch = self.peek()
        nxt = self.text[self.pos + 1] if self.pos + 1 < self.n else ""
        if not ch:
            return self.lex_token
        if ch in "+-*%":
            self.pos += 1
            self.emit(OPERATORS[ch])
            return self.lex_token
        if ch == "/":
            if nxt == "/":
                return self.lex_comment
            self.pos += 1
            self.emit("TokenDiv")
            return self.lex_token
        if ch == "!":
            self.pos += 2 if nxt in ("=", "~") and nxt else 1
            name = OPERATORS[self.text[self.start : self.pos]]
            self.emit(name)
            if name == "TokenRegexNotEqual":
                return self.regex_or_token()
            return self.lex_token
        if ch in "<>":
            self.pos += 2 if nxt == "=" else 1
            self.emit(OPERATORS[self.text[self.start : self.pos]])
            return self.lex_token
        if ch == "=":
            if nxt in ("~", "=") and nxt:
                self.pos += 2
                name = OPERATORS[self.text[self.start : self.pos]]
                self.emit(name)
                if name == "TokenRegexEqual":
                    return self.regex_or_token()
                return self.lex_token
            self.pos += 1
            self.emit("TokenAsgn")
            return self.regex_or_token()
        return self.lex_token

    def regex_or_token(self):
        self.skip_space()
        return self.lex_regex if self.peek() == "/" else self.lex_token

    def lex_ident(self):
        while self.pos < self.n:
            ch = self.text[self.pos]
            if not (is_digit(ch) or is_letter(ch) or ch == "_"):
                break
            self.pos += 1
        word = self.text[self.start : self.pos]
        if word == "lambda" and self.peek() == ":":
            self.pos += 1
            self.emit("TokenLambda")
        else:
            self.emit(KEYWORDS.get(word, "TokenIdent"))
        return self.lex_operator

    def lex_number(self):
        found_decimal = False
        first = True
        while True:
            ch = self.peek()
            if ch == ".":
                self.pos += 1
                if first and not is_digit(self.peek() or " "):
                    self.emit("TokenDot")
                    return self.lex_token
                if found_decimal:
                    self.error("multiple decimals in number")
                    return None
                found_decimal = True
            elif ch and is_digit(ch):
                self.pos += 1
            elif ch and not found_decimal and ch in DURATION_UNITS:
                self.pos += 1
                if ch == "m" and self.peek() == "s":
                    self.pos += 1
                self.emit("TokenDuration")
                return self.lex_operator
            else:
                self.emit("TokenNumber")
                return self.lex_operator
            first = False

    def lex_reference(self):
        return self.lex_delimited('"', "TokenReference", "unterminated field reference")

    def lex_string(self):
        text = self.text
        if text.startswith("'''", self.pos):
            quotes = 3
            self.pos += 3
        elif text.startswith("''", self.pos):
            self.pos += 2
            self.emit("TokenString")
            return self.lex_operator
        else:
            quotes = 1
            self.pos += 1
        remaining = quotes
        while self.pos < self.n:
            ch = text[self.pos]
            self.pos += 1
            if ch == "\\" and remaining == 1:
                if self.peek() == "'":
                    self.pos += 1
            elif ch == "'":
                remaining -= 1
                if remaining == 0:
                    self.emit("TokenString")
                    return self.lex_operator
            else:
                remaining = quotes
        self.error("unterminated string")
        return None

    def lex_regex(self):
        return self.lex_delimited("/", "TokenRegex", "unterminated regex")

    def lex_delimited(self, delimiter: str, kind: str, unterminated: str):
        """A token from the opening `delimiter` to the next one not escaped with a backslash."""
        self.pos += 1
        while self.pos < self.n:
            ch = self.text[self.pos]
            self.pos += 1
            if ch == "\\" and self.peek() == delimiter:
                self.pos += 1
            elif ch == delimiter:
                self.emit(kind)
                return self.lex_operator
        self.error(unterminated)
        return None

    def lex_comment(self):
        self.pos += 1  # the first slash
        text = self.text
        while self.pos < self.n:
            ch = text[self.pos]
            self.pos += 1
            if ch != "\n":
                continue
            probe = self.pos
            while probe < self.n and text[probe] != "\n" and is_space(text[probe]):
                probe += 1
            if probe < self.n and text[probe] == "/":
                self.pos = probe + 1  # more comment lines follow
                continue
            self.pos = probe
            break
        self.emit(COMMENT)
        return self.lex_token


def lex(text: str) -> list[Token]:
    """Scan `text` into tokens, ending with `TokenEOF` or a `TokenError` carrying the message."""
    return _Scanner(text).run()
