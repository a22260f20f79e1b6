"""The TICKscript parser: lexer tokens -> parsimonious grammar (`tick.grammar`) -> `tick.ast` nodes.

Node positions follow Kapacitor: a binary node sits at its operator, a chain step at its `|`/`.`/`@`,
a function at its name, a declaration at `var`. Comments attach as Kapacitor attaches them: each
comment block belongs to the token after it and is taken by the node built from that token (a
declaration from `var`, a chain step from its operator, a binary node from its operator, a
parenthesised expression from `(`); blocks nobody takes are dropped, except at the end of the script.
A comment block is a list of lines; an entry `"\\n"` marks a blank line between two comment runs.
"""

from __future__ import annotations

import bisect

from parsimonious.exceptions import ParseError as PegError
from parsimonious.nodes import Node as PegNode

from kapacitrio.tick import ast
from kapacitrio.tick.errors import ParseError
from kapacitrio.tick.grammar import CODES, GRAMMAR, PRECEDENCE, Unexpected
from kapacitrio.tick.lexer import COMMENT, DISPLAY, ERROR, Token, lex
from kapacitrio.tick.regex import RegexError, compile_re2
from kapacitrio.tick.values import NS_PER_UNIT

#: Rule names whose parse nodes the builder looks at; all other rules are transparent.
_MEANINGFUL = frozenset(
    {
        "declaration",
        "dbrp",
        "global_call",
        "ident_chain",
        "pipe_step",
        "dot_step",
        "call",
        "call_x",
        "lambda",
        "list",
        "list_item",
        "primary_expr",
        "paren",
        "lcall",
        "unary",
        "literal",
        "binop",
        "unary_op",
        "pipe_op",
        "dot_op",
        "var_kw",
        "dbrp_kw",
        "lambda_kw",
        "lbracket",
        "lparen",
        "ident",
        "ref",
        "eof",
    }
)

_OPERATOR_TEXT = {code: DISPLAY[name] for name, code in CODES.items()}
_MAX_INT = (1 << 63) - 1
_TOO_DEEP = "parser: expression nested too deeply"


def parse(script: str) -> ast.ProgramNode:
    """Parse a whole TICKscript; raises `ParseError` with Kapacitor's message."""
    try:
        return _Parser(script).program()
    except RecursionError:
        raise ParseError(_TOO_DEEP) from None


def parse_expression(text: str) -> ast.Node:
    """Parse a lambda body given without the `lambda:` keyword (API lambda vars, eval cases)."""
    try:
        return _Parser(text).lambda_body()
    except RecursionError:
        raise ParseError(_TOO_DEEP) from None


def duration_literal_ns(literal: str) -> int:
    """The length in ns of a duration literal (`10s`, `5m`, `1µ`); as InfluxQL parses it."""
    digits = literal.rstrip("uµsmhdw")
    unit = literal[len(digits) :]
    if not digits or not digits.isascii() or not digits.isdigit() or unit not in NS_PER_UNIT:
        raise ParseError("parser: invalid duration")
    count = int(digits)
    if count > _MAX_INT:
        raise ParseError("parser: invalid duration")
    ns = (count * NS_PER_UNIT[unit]) & ((1 << 64) - 1)
    if ns > _MAX_INT:  # Go's int64 product wrapped negative
        raise ParseError(f"parser: overflowed duration {literal}: choose a smaller duration or INF")
    return ns


def _named_children(node: PegNode) -> list[PegNode]:
    found: list[PegNode] = []
    for child in node.children:
        if child.expr_name in _MEANINGFUL:
            found.append(child)
        else:
            found.extend(_named_children(child))
    return found


class _Parser:
    """One parse of one text: tokens, their comments, and the builders for each rule."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.data = text.encode("utf-8")
        self.newlines = [i for i, byte in enumerate(self.data) if byte == 0x0A]
        self.tokens: list[Token] = []
        self.comments: list[list[str]] = []
        pending: list[str] = []
        for token in lex(text):
            if token.name == COMMENT:
                pending.append(token.text)
                continue
            self.tokens.append(token)
            self.comments.append(_comment_lines(pending))
            pending = []
        self.codes = "".join(CODES[t.name] for t in self.tokens)

    # -- driving the grammar ----------------------------------------------------------------

    def _match(self, rule: str) -> PegNode:
        try:
            return GRAMMAR[rule].parse(self.codes)
        except Unexpected as exc:
            self._check_literals(exc.index)
            raise self._unexpected(exc.index, exc.expected) from None
        except PegError as exc:  # not reached by a well-formed grammar; keep a sane message
            index = min(exc.pos, len(self.tokens) - 1)
            raise self._unexpected(index, ()) from None

    def program(self) -> ast.ProgramNode:
        tree = self._match("program")
        statements = [self._statement(n) for n in _named_children(tree) if n.expr_name != "eof"]
        trailing: list[list[str]] = []
        eof_index = len(self.tokens) - 1
        if eof_index > 0 and self.comments[eof_index - 1]:
            trailing.append(self._take(eof_index - 1))
        if self.comments[eof_index]:
            trailing.append(self._take(eof_index))
        program = ast.ProgramNode(pos=self._pos(0), statements=statements)
        if trailing:
            program.trailing_comment = trailing[-1]
            program.trailing_comments = trailing
        return program

    def lambda_body(self) -> ast.Node:
        tree = self._match("lambda_body")
        return self._primary_expr(_named_children(tree)[0])

    # -- errors -------------------------------------------------------------------------------

    def _unexpected(self, index: int, expected: tuple[str, ...]) -> ParseError:
        token = self.tokens[index]
        pos = token.offset
        data = self.data
        start = max(pos - 10, 0)
        newline = data.rfind(b"\n", start, pos)
        if newline != -1:
            start = newline + 1
        stop = min(pos + 10, len(data))
        newline = data.find(b"\n", pos, stop)
        if newline != -1:
            stop = newline
        snippet = data[start:stop].decode("utf-8", errors="replace")
        where = self._pos(pos)
        what = token.text if token.name == ERROR else DISPLAY[token.name]
        wanted = ",".join(f'"{DISPLAY[name]}"' for name in expected)
        return ParseError(
            f'parser: unexpected {what} line {where.line} char {where.char} in "{snippet}".'
            f" expected: {wanted}"
        )

    def _check_literals(self, upto: int) -> None:
        """Literals before a syntax error were already converted by Kapacitor: report theirs first."""
        for index in range(upto):
            name = self.tokens[index].name
            if name == "TokenNumber":
                _number_value(self.tokens[index].text)
            elif name == "TokenDuration":
                duration_literal_ns(self.tokens[index].text)
            elif name == "TokenRegex":
                _regex_pattern(self.tokens[index].text[1:-1])

    # -- helpers ------------------------------------------------------------------------------

    def _pos(self, offset: int) -> ast.Position:
        """Line and char (1-based, counted in bytes as Kapacitor does) of a byte offset."""
        line = bisect.bisect_left(self.newlines, offset)  # newlines before the offset
        start = self.newlines[line - 1] if line else -1
        return ast.Position(line=line + 1, char=offset - start, offset=offset)

    def _tpos(self, index: int) -> ast.Position:
        return self._pos(self.tokens[index].offset)

    def _take(self, index: int) -> list[str]:
        """The comment block in front of token `index`; each block can be taken once."""
        lines = self.comments[index]
        self.comments[index] = []
        return lines

    def _newline_between(self, first: ast.Node, last: ast.Node) -> bool:
        return b"\n" in self.data[first.pos.offset : last.pos.offset]

    # -- builders -----------------------------------------------------------------------------

    def _statement(self, node: PegNode) -> ast.Node:
        kind = node.expr_name
        if kind == "declaration":
            return self._declaration(node)
        if kind == "dbrp":
            return self._dbrp(node)
        expr = self._expression(node)
        return ast.ExpressionStatement(pos=expr.pos, expr=expr)

    def _declaration(self, node: PegNode) -> ast.DeclarationNode:
        var_kw, name, rest = _named_children(node)
        decl = ast.DeclarationNode(
            pos=self._tpos(var_kw.start),
            comment=self._take(var_kw.start),
            name=self.tokens[name.start].text,
            name_pos=self._tpos(name.start),
        )
        decl.name_comment = self._take(name.start)
        if rest.expr_name == "ident":
            decl.type_name = self.tokens[rest.start].text
            decl.type_comment = self._take(rest.start)
        else:
            decl.value = self._expression(rest)
        return decl

    def _dbrp(self, node: PegNode) -> ast.DBRPNode:
        kw, db, rp = _named_children(node)
        comment = self._take(kw.start)
        return ast.DBRPNode(
            pos=self._tpos(kw.start),
            comment=comment,
            db=self._reference(db.start).name,
            rp=self._reference(rp.start).name,
        )

    def _expression(self, node: PegNode) -> ast.Node:
        kind = node.expr_name
        if kind == "global_call":
            parts = _named_children(node)
            head = self._call(parts[0])
            if len(parts) > 1 and parts[1].expr_name in ("pipe_step", "dot_step"):
                return self._chain(head, parts[1:])
            return self._climb_all(head, parts[1:])
        if kind == "ident_chain":
            parts = _named_children(node)
            return self._chain(self._identifier(parts[0].start), parts[1:])
        if kind == "lambda":
            kw, body = _named_children(node)
            comment = self._take(kw.start)
            return ast.LambdaNode(
                pos=self._tpos(kw.start), comment=comment, expr=self._primary_expr(body)
            )
        if kind == "list":
            return self._list(node)
        return self._primary_expr(node)

    def _call(self, node: PegNode) -> ast.FunctionNode:
        parts = _named_children(node)
        ident = parts[0].start
        comment = self._take(ident)
        args = [self._expression(p) for p in parts[1:]]
        func = ast.FunctionNode(
            pos=self._tpos(ident), comment=comment, name=self.tokens[ident].text, args=args
        )
        func.multiline = bool(args) and b"\n" in self.data[func.pos.offset : args[-1].pos.offset]
        return func

    def _chain(self, left: ast.Node, steps: list[PegNode]) -> ast.Node:
        for step in steps:
            op_node, target = _named_children(step)
            op = self.tokens[op_node.start].text
            comment = self._take(op_node.start)
            if target.expr_name == "ident":
                name_index, args, multiline, name_comment = target.start, None, False, None
            else:
                func = self._call(target)
                name_index, args, multiline = (
                    _named_children(target)[0].start,
                    func.args,
                    func.multiline,
                )
                name_comment = func.comment
            if name_comment is None:
                name_comment = self._take(name_index)
            chain = ast.ChainNode(
                pos=self._tpos(op_node.start),
                comment=comment,
                left=left,
                op=op,
                name=self.tokens[name_index].text,
                args=args,
                multiline=multiline,
            )
            chain.name_pos = self._tpos(name_index)
            chain.name_comment = name_comment
            left = chain
        return left

    def _list(self, node: PegNode) -> ast.ListNode:
        parts = _named_children(node)
        bracket = parts[0].start
        comment = self._take(bracket)
        items = [self._literal(p.start) for p in parts[1:]]
        return ast.ListNode(pos=self._tpos(bracket), comment=comment, items=items)

    def _primary_expr(self, node: PegNode) -> ast.Node:
        parts = _named_children(node)
        return self._climb_all(self._primary(parts[0]), parts[1:])

    def _climb_all(self, first: ast.Node, rest: list[PegNode]) -> ast.Node:
        ops = [rest[i].start for i in range(0, len(rest), 2)]
        operands = [self._primary(rest[i]) for i in range(1, len(rest), 2)]
        cursor = [0]

        def climb(lhs: ast.Node, min_prec: int) -> ast.Node:
            while cursor[0] < len(ops) and self._prec(ops[cursor[0]]) >= min_prec:
                op = ops[cursor[0]]
                rhs = operands[cursor[0]]
                cursor[0] += 1
                while cursor[0] < len(ops) and self._prec(ops[cursor[0]]) > self._prec(op):
                    rhs = climb(rhs, self._prec(ops[cursor[0]]))
                lhs = ast.BinaryNode(
                    pos=self._tpos(op),
                    comment=self._take(op),
                    op=_OPERATOR_TEXT[self.codes[op]],
                    left=lhs,
                    right=rhs,
                    multiline=self._newline_between(lhs, rhs),
                )
            return lhs

        return climb(first, 0)

    def _prec(self, index: int) -> int:
        return PRECEDENCE[self.codes[index]]

    def _primary(self, node: PegNode) -> ast.Node:
        kind = node.expr_name
        if kind == "literal":
            return self._literal(node.start)
        if kind == "paren":
            lparen, inner = _named_children(node)
            comment = self._take(lparen.start)
            expr = self._primary_expr(inner)
            if isinstance(expr, ast.BinaryNode):
                expr.parens = True
            expr.comment = comment
            return expr
        if kind == "lcall":
            parts = _named_children(node)
            ident = parts[0].start
            args = [self._primary_expr(p) for p in parts[1:]]
            func = ast.FunctionNode(pos=self._tpos(ident), name=self.tokens[ident].text, args=args)
            func.multiline = bool(args) and self._newline_between(func, args[-1])
            return func
        # unary: the operator, then its operand
        # Kapacitor gives it the comment left on the operand's last token (the `)` of a call or a
        # parenthesised operand); a block in front of the operator itself, which Kapacitor drops,
        # is kept when there is no such comment, so that formatted output formats the same again.
        op_node, operand_node = _named_children(node)
        operand = self._primary(operand_node)
        comment = self._take(operand_node.end - 1) or self._take(op_node.start)
        return ast.UnaryNode(
            pos=self._tpos(op_node.start),
            comment=comment,
            op=self.tokens[op_node.start].text,
            operand=operand,
        )

    def _identifier(self, index: int) -> ast.IdentifierNode:
        return ast.IdentifierNode(
            pos=self._tpos(index), comment=self._take(index), name=self.tokens[index].text
        )

    def _reference(self, index: int) -> ast.ReferenceNode:
        raw = self.tokens[index].text[1:-1]
        return ast.ReferenceNode(
            pos=self._tpos(index), comment=self._take(index), name=raw.replace('\\"', '"')
        )

    def _literal(self, index: int) -> ast.Node:
        token = self.tokens[index]
        name = token.name
        text = token.text
        if name == "TokenIdent":
            return self._identifier(index)
        if name == "TokenReference":
            return self._reference(index)
        pos, comment = self._tpos(index), self._take(index)
        if name == "TokenNumber":
            return ast.NumberNode(pos=pos, comment=comment, value=_number_value(text), literal=text)
        if name == "TokenString":
            if len(text) >= 6 and text.startswith("'''"):
                return ast.StringNode(pos=pos, comment=comment, value=text[3:-3], triple=True)
            return ast.StringNode(pos=pos, comment=comment, value=text[1:-1].replace("\\'", "'"))
        if name == "TokenDuration":
            return ast.DurationNode(
                pos=pos, comment=comment, ns=duration_literal_ns(text), literal=text
            )
        if name == "TokenRegex":
            literal = text[1:-1]
            pattern = _regex_pattern(literal)
            return ast.RegexNode(pos=pos, comment=comment, pattern=pattern, literal=literal)
        if name in ("TokenTrue", "TokenFalse"):
            return ast.BoolNode(pos=pos, comment=comment, value=name == "TokenTrue")
        return ast.StarNode(pos=pos, comment=comment)


def _number_value(text: str) -> int | float:
    """Convert a number literal as Kapacitor does: `.` makes a float, a leading 0 makes octal."""
    try:
        if not text.isascii():
            raise ValueError(text)
        if "." in text:
            value = float(text)
            if value == float("inf"):
                raise ValueError(text)
            return value
        value = int(text, 8 if text.startswith("0") and len(text) > 1 else 10)
        if value > _MAX_INT:
            raise ValueError(text)
        return value
    except ValueError:
        raise ParseError(f'parser: illegal number syntax: "{text}"') from None


def _regex_pattern(literal: str) -> str:
    """The pattern of a regex literal (`\\/` unescaped); like Kapacitor, an invalid one is a parse error."""
    pattern = literal.replace("\\/", "/")
    try:
        compile_re2(pattern)
    except RegexError as exc:
        raise ParseError(f"parser: {exc}") from None
    return pattern


def _comment_lines(tokens: list[str]) -> list[str]:
    """Kapacitor's comment block: trimmed lines without `//` and one space; runs split by `"\\n"`."""
    lines: list[str] = []
    for i, token in enumerate(tokens):
        if i:
            lines.append("\n")
        for raw in token.split("\n"):
            stripped = raw.strip()
            if not stripped:
                continue
            if stripped.startswith("//"):
                stripped = stripped[2:]
            if stripped.startswith(" "):
                stripped = stripped[1:]
            lines.append(stripped)
    return lines
