"""The canonical TICKscript formatter (what `kapacitrio fmt` and Kapacitor's tickfmt print).

Each node writes itself given the current indent and whether it starts on a fresh line; chain steps
go one level (`|`, `@`) or two levels (`.`) below the statement, multi-line calls put one argument
per line, and comment blocks are written on the lines before the element they belong to.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from kapacitrio.tick import ast
from kapacitrio.tick.errors import ParseError
from kapacitrio.tick.parser import parse
from kapacitrio.tick.values import format_duration

INDENT = "    "


#: Bound on re-formatting rounds; real scripts settle in one or two.
MAX_ROUNDS = 8


def format_script(script: str) -> str:
    """Parse `script` and return its canonical form; raises `ParseError` on bad input.

    Kapacitor's layout flags depend on where newlines fall in the source, and its own output can
    move them (a multi-line operand makes the enclosing expression multi-line when read back). So
    the output is read back and formatted again until it no longer changes: the result is a fixed
    point, and for every script whose Kapacitor formatting is already stable it is Kapacitor's.
    """
    program = parse(script)
    text = format_program(program)
    shape = _shape(program)
    for _ in range(MAX_ROUNDS):
        try:
            reread = parse(text)
        except ParseError:
            break  # cannot happen for output of a valid script; never trade a valid result
        if _shape(reread) != shape:
            break  # the text would mean something else when read back: keep the first form
        again = format_program(reread)
        if again == text:
            break
        text = again
    return text


_LAYOUT_FIELDS = frozenset(
    {"pos", "name_pos", "comment", "name_comment", "type_comment", "multiline"}
    | {"trailing_comment", "trailing_comments"}
)


def _shape(root: ast.Node) -> list[object]:
    """What a program means, without positions, comments or layout flags (iterative walk)."""
    shape: list[object] = []
    stack: list[object] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.Node):
            shape.append(type(item).__name__)
            for f in reversed(dataclasses.fields(item)):
                if f.name not in _LAYOUT_FIELDS:
                    stack.append(getattr(item, f.name))
        elif isinstance(item, list):
            shape.append(len(item))
            stack.extend(reversed(item))
        else:
            shape.append(item)
    return shape


def format_program(program: ast.ProgramNode) -> str:
    """The canonical text of a parsed program."""
    out: list[str] = []
    blocks = program.trailing_comments or (
        [program.trailing_comment] if program.trailing_comment else []
    )
    items: list[ast.Node | list[str]] = [*program.statements, *blocks]
    for i, item in enumerate(items):
        if i:
            out.append("\n")
        if isinstance(item, list):
            _comment(out, item, "", True)
        else:
            _node(out, item, "", True)
        out.append("\n")
    return "".join(out)


def format_node(node: ast.Node, indent: str = "", on_new_line: bool = True) -> str:
    """The canonical text of one node (a lambda body, a chain, a literal ...)."""
    out: list[str] = []
    _node(out, node, indent, on_new_line)
    return "".join(out)


def format_float(value: float) -> str:
    """Shortest decimal text without exponent, always with a `.` (`1.0`, `0.5`, `1e-07` -> `0.0000001`)."""
    text = format(Decimal(repr(value)), "f")
    return text if "." in text else text + ".0"


# ------------------------------------------------------------------------------------------
# writers: each appends to `out`


def _comment(out: list[str], lines: list[str], indent: str, on_new_line: bool) -> None:
    if not on_new_line:
        out.append("\n")
    for line in lines:
        if line == "\n":
            out.append("\n")
            continue
        out.append(indent + "//")
        if line:
            out.append(" " + line)
        out.append("\n")


def _lead(out: list[str], node: ast.Node, indent: str, on_new_line: bool) -> None:
    """A node's comment block (which puts the node on a new line), then its indent if on one."""
    _open(out, node.comment, indent, on_new_line)


def _node(out: list[str], node: ast.Node, indent: str, on_new_line: bool) -> None:
    writer = _WRITERS.get(type(node))
    if writer is None:
        raise TypeError(f"cannot format {type(node).__name__}")
    writer(out, node, indent, on_new_line)


def _declaration(out: list[str], node: ast.DeclarationNode, indent: str, on_new_line: bool) -> None:
    if node.comment:
        _comment(out, node.comment, indent, on_new_line)
    out.append("var ")
    _name(out, node.name, node.name_comment, indent)
    if node.value is None:
        out.append(" ")
        _name(out, node.type_name or "", node.type_comment, indent)
        return
    out.append(" = ")
    _node(out, _uncommented(node.value), indent, False)


def _name(out: list[str], name: str, comment: list[str], indent: str) -> None:
    if comment:
        _comment(out, comment, indent, False)
        out.append(indent)
    out.append(name)


def _dbrp(out: list[str], node: ast.DBRPNode, indent: str, on_new_line: bool) -> None:
    if node.comment:
        _comment(out, node.comment, indent, on_new_line)
    out.append(f'{indent}dbrp "{node.db}"."{node.rp}"')


def _statement(
    out: list[str], node: ast.ExpressionStatement, indent: str, on_new_line: bool
) -> None:
    _node(out, node.expr, indent, on_new_line)


def _chain(out: list[str], node: ast.ChainNode, indent: str, on_new_line: bool) -> None:
    steps: list[ast.ChainNode] = []
    head: ast.Node = node
    while isinstance(head, ast.ChainNode):  # iterative: chains can be very long
        steps.append(head)
        head = head.left
    _node(out, head, indent, on_new_line)
    for step in reversed(steps):
        _chain_step(out, step, indent)


def _chain_step(out: list[str], node: ast.ChainNode, indent: str) -> None:
    out.append("\n")
    step = indent + INDENT + (INDENT if node.op == "." else "")
    if node.comment:
        _comment(out, node.comment, step, True)
    out.append(step + node.op)
    if node.name_comment:
        _comment(out, node.name_comment, step, False)
        out.append(step)
    out.append(node.name)
    if node.args is not None:
        _args(out, node.args, node.multiline, step)


def _function(out: list[str], node: ast.FunctionNode, indent: str, on_new_line: bool) -> None:
    _lead(out, node, indent, on_new_line)
    out.append(node.name)
    _args(out, node.args, node.multiline, indent)


def _args(out: list[str], args: list[ast.Node], multiline: bool, indent: str) -> None:
    out.append("(")
    inner = indent + INDENT
    for i, arg in enumerate(args):
        if i:
            out.append("," if multiline else ", ")
        if multiline:
            out.append("\n")
        _node(out, arg, inner, multiline)
    if multiline and args:
        out.append("\n" + indent)
    out.append(")")


def _lambda(out: list[str], node: ast.LambdaNode, indent: str, on_new_line: bool) -> None:
    _lead(out, node, indent, on_new_line)
    out.append("lambda: ")
    _node(out, node.expr, indent, False)


def _binary(out: list[str], node: ast.BinaryNode, indent: str, on_new_line: bool) -> None:
    # Iterative down the left spine, so long `a + b + c + ...` sums need no deep recursion.
    # Comment blocks met on the spine before the first `(` (down to the leftmost operand) are all
    # written ahead of the expression: re-parsing attaches them to its first token, so writing
    # them there keeps formatting idempotent (Kapacitor would write a stray indented line here).
    spine: list[tuple[ast.BinaryNode, str]] = []
    pending: list[str] = []
    started = False
    current: ast.Node = node
    while isinstance(current, ast.BinaryNode):
        if started:
            _lead(out, current, indent, False)
        else:
            pending.extend(current.comment)
            if current.parens:
                _open(out, pending, indent, on_new_line)
                started = True
        if current.parens:
            out.append("(")
            indent += INDENT
        spine.append((current, indent))
        current = current.left
    if not started:
        pending.extend(current.comment)
        _open(out, pending, indent, on_new_line, isinstance(current, ast.RegexNode))
        if current.comment:
            current = dataclasses.replace(current, comment=[])
    _node(out, current, indent, False)
    for binary, inner in reversed(spine):
        out.append(" " + binary.op + ("\n" if binary.multiline else " "))
        right = _uncommented(binary.right) if binary.op in ("=~", "!~") else binary.right
        _node(out, right, inner, binary.multiline)
        if binary.parens:
            out.append(")")


def _uncommented(node: ast.Node) -> ast.Node:
    """`node` without the comment blocks that would be written in front of it.

    After `=`, `=~` and `!~` the scanner reads `//` as a regex, so no comment can stand there;
    Kapacitor writes one anyway and its output no longer parses the same. Those blocks are dropped.
    The front of a chain is its head, and of an unparenthesised binary node its left operand.
    """
    path: list[ast.Node] = []
    current = node
    while isinstance(current, ast.ChainNode) or (
        isinstance(current, ast.BinaryNode) and not current.parens
    ):
        path.append(current)
        current = current.left
    rebuilt = dataclasses.replace(current, comment=[]) if current.comment else current
    for parent in reversed(path):
        changes: dict[str, object] = {"left": rebuilt}
        if isinstance(parent, ast.BinaryNode):
            changes["comment"] = []
        rebuilt = dataclasses.replace(parent, **changes)
    return rebuilt


def _open(
    out: list[str], comment: list[str], indent: str, on_new_line: bool, regex: bool = False
) -> None:
    """Start an element: its comment block (which puts it on a new line), then the indent if on one.

    `regex` says the element's text starts with `/`: a line starting with `/` right under a
    comment would be read as more of the comment, so a blank line is put between them.
    """
    if comment:
        _comment(out, comment, indent, on_new_line)
        if regex:
            out.append("\n")
        on_new_line = True
    if on_new_line:
        out.append(indent)


def _unary(out: list[str], node: ast.UnaryNode, indent: str, on_new_line: bool) -> None:
    _lead(out, node, indent, on_new_line)
    out.append(node.op)
    _node(out, node.operand, indent, False)


def _list(out: list[str], node: ast.ListNode, indent: str, on_new_line: bool) -> None:
    if node.comment:
        _comment(out, node.comment, indent, on_new_line)
        on_new_line = True
    if on_new_line:
        out.append(indent)
    out.append("[")
    for i, item in enumerate(node.items):
        if i:
            out.append(", ")
        # Kapacitor hands the list's own new-line flag to every item.
        _node(out, item, indent, on_new_line)
    out.append("]")


def _number(out: list[str], node: ast.NumberNode, indent: str, on_new_line: bool) -> None:
    _lead(out, node, indent, on_new_line)
    value = node.value
    if isinstance(value, int):
        octal = node.literal.startswith("0") and len(node.literal) > 1 and "." not in node.literal
        out.append("0" + format(value, "o") if octal else str(value))
    else:
        out.append(format_float(value))


def _string(out: list[str], node: ast.StringNode, indent: str, on_new_line: bool) -> None:
    _lead(out, node, indent, on_new_line)
    if node.triple:
        out.append("'''" + node.value + "'''")
    else:
        out.append("'" + node.value.replace("'", "\\'") + "'")


def _duration(out: list[str], node: ast.DurationNode, indent: str, on_new_line: bool) -> None:
    _lead(out, node, indent, on_new_line)
    out.append(node.literal or format_duration(node.ns))


def _regex(out: list[str], node: ast.RegexNode, indent: str, on_new_line: bool) -> None:
    _open(out, node.comment, indent, on_new_line, regex=True)
    out.append("/" + (node.literal or node.pattern.replace("/", "\\/")) + "/")


def _bool(out: list[str], node: ast.BoolNode, indent: str, on_new_line: bool) -> None:
    _lead(out, node, indent, on_new_line)
    out.append("TRUE" if node.value else "FALSE")


def _star(out: list[str], node: ast.StarNode, indent: str, on_new_line: bool) -> None:
    _lead(out, node, indent, on_new_line)
    out.append("*")


def _reference(out: list[str], node: ast.ReferenceNode, indent: str, on_new_line: bool) -> None:
    _lead(out, node, indent, on_new_line)
    out.append('"' + node.name.replace('"', '\\"') + '"')


def _identifier(out: list[str], node: ast.IdentifierNode, indent: str, on_new_line: bool) -> None:
    _lead(out, node, indent, on_new_line)
    out.append(node.name)


_WRITERS = {
    ast.DeclarationNode: _declaration,
    ast.DBRPNode: _dbrp,
    ast.ExpressionStatement: _statement,
    ast.ChainNode: _chain,
    ast.FunctionNode: _function,
    ast.LambdaNode: _lambda,
    ast.BinaryNode: _binary,
    ast.UnaryNode: _unary,
    ast.ListNode: _list,
    ast.NumberNode: _number,
    ast.StringNode: _string,
    ast.DurationNode: _duration,
    ast.RegexNode: _regex,
    ast.BoolNode: _bool,
    ast.StarNode: _star,
    ast.ReferenceNode: _reference,
    ast.IdentifierNode: _identifier,
}
