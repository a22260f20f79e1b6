"""The TICKscript grammar, written for parsimonious over a string of one-letter token codes.

The lexer's tokens (comments removed) are spelled as one character each (`CODES`), and the grammar
below matches that string. The grammar is deterministic in the way Kapacitor's hand-written parser
is: every alternative is chosen on one or two tokens of lookahead, and once a rule has committed, a
missing token is reported at once by a `*_x` rule that raises `Unexpected` with the token kinds
Kapacitor lists as "expected". So the first error found is the one Kapacitor reports.
"""

from __future__ import annotations

from parsimonious.grammar import Grammar

#: Token kind -> its code letter in the string the grammar parses.
CODES = {
    "TokenEOF": "E",
    "TokenError": "?",
    "TokenVar": "v",
    "TokenDBRP": "D",
    "TokenAsgn": "=",
    "TokenDot": ".",
    "TokenPipe": "|",
    "TokenAt": "@",
    "TokenIdent": "i",
    "TokenReference": "r",
    "TokenLambda": "l",
    "TokenNumber": "n",
    "TokenString": "s",
    "TokenDuration": "d",
    "TokenLParen": "(",
    "TokenRParen": ")",
    "TokenLSBracket": "[",
    "TokenRSBracket": "]",
    "TokenComma": ",",
    "TokenNot": "!",
    "TokenTrue": "T",
    "TokenFalse": "F",
    "TokenRegex": "x",
    "TokenStar": "*",
    "TokenPlus": "+",
    "TokenMinus": "-",
    "TokenMult": "M",
    "TokenDiv": "/",
    "TokenMod": "%",
    "TokenAnd": "&",
    "TokenOr": "O",
    "TokenEqual": "q",
    "TokenNotEqual": "N",
    "TokenLess": "<",
    "TokenGreater": ">",
    "TokenLessEqual": "L",
    "TokenGreaterEqual": "G",
    "TokenRegexEqual": "~",
    "TokenRegexNotEqual": "R",
}

#: Binary operator precedence by code letter (higher binds tighter).
PRECEDENCE = {
    "O": 0,
    "&": 1,
    "q": 2,
    "N": 2,
    "~": 2,
    "R": 2,
    "<": 3,
    "L": 3,
    ">": 3,
    "G": 3,
    "+": 4,
    "-": 4,
    "M": 5,
    "/": 5,
    "%": 5,
}

#: What Kapacitor says it expected where an operand is missing.
PRIMARY_EXPECTED = (
    "TokenNumber",
    "TokenString",
    "TokenDuration",
    "TokenIdent",
    "TokenTrue",
    "TokenFalse",
    "TokenEqual",
    "TokenLParen",
    "TokenMinus",
    "TokenNot",
)


class Unexpected(Exception):
    """Raised while matching: the token at `index` is not one of `expected`."""

    def __init__(self, index: int, expected: tuple[str, ...]) -> None:
        super().__init__(index, expected)
        self.index = index
        self.expected = expected


def _failing(*expected: str):
    def rule(text, pos):
        raise Unexpected(pos, expected)

    rule.__name__ = "expect_" + "_".join(expected)
    return rule


RULES = r"""
program       = statement* eof
lambda_body   = primary_expr eof_x
statement     = !"E" (declaration / dbrp / expression)

declaration   = var_kw ident_x (assign / ident_x)
assign        = "=" expression
dbrp          = dbrp_kw ref_x dot_x ref_x

expression    = global_call / ident_chain / lambda / list / primary_expr
global_call   = &("i" "(") call (chain_step+ / binop_tail)
ident_chain   = &("i" ~"[.@|vi]") ident chain_step*
chain_step    = pipe_step / dot_step
pipe_step     = pipe_op call_x
dot_step      = dot_op (call_ahead / ident_x)
call_ahead    = &(~"." "(") call_x
call_x        = ident_x lparen_x params rparen_x
call          = ident "(" params rparen_x
params        = (!")" expression ("," !")" expression)* ","?)?

lambda        = lambda_kw primary_expr
list          = lbracket (!"]" item_x ("," !"]" item_x)* ","?)? rbracket_x
item_x        = list_item / fail_item
list_item     = ~"[is*]"

primary_expr  = primary_x binop_tail
binop_tail    = (binop primary_x)*
primary_x     = primary / fail_primary
primary       = paren / lcall / literal / unary
paren         = lparen primary_expr rparen_x
lcall         = ident "(" lparams rparen_x
lparams       = (!")" primary_expr ("," !")" primary_expr)* ","?)?
unary         = unary_op primary_x
literal       = ~"[nsTFdx*ri]"

binop         = ~"[-+M/%&OqN<>LG~R]"
unary_op      = ~"[-!]"
pipe_op       = "|"
dot_op        = ~"[.@]"
var_kw        = "v"
dbrp_kw       = "D"
lambda_kw     = "l"
lbracket      = "["
lparen        = "("
ident         = "i"
ref           = "r"
eof           = "E"

ident_x       = ident / fail_ident
ref_x         = ref / fail_ref
dot_x         = "." / fail_dot
lparen_x      = "(" / fail_lparen
rparen_x      = ")" / fail_rparen
rbracket_x    = "]" / fail_rbracket
eof_x         = eof / fail_eof
"""

GRAMMAR = Grammar(
    RULES,
    fail_item=_failing("TokenIdent", "TokenString", "TokenStar"),
    fail_primary=_failing(*PRIMARY_EXPECTED),
    fail_ident=_failing("TokenIdent"),
    fail_ref=_failing("TokenReference"),
    fail_dot=_failing("TokenDot"),
    fail_lparen=_failing("TokenLParen"),
    fail_rparen=_failing("TokenRParen"),
    fail_rbracket=_failing("TokenRSBracket"),
    fail_eof=_failing("TokenEOF"),
)
