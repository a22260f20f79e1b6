"""The TICKscript syntax tree: what the parser builds and the formatter, evaluator and lambda compiler read.

Every node carries a `Position` (1-based line and char, 0-based byte offset) and the comment block
attached to it (`comment`: a list of lines without the leading `//`, or empty). Nodes are plain
dataclasses: no behaviour beyond small helpers, so every consumer can pattern-match on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Position:
    """Where a node starts in the source."""

    line: int = 1
    char: int = 1
    offset: int = 0

    def prefix(self) -> str:
        """The `line L char C: ` prefix that Kapacitor puts in front of evaluation errors."""
        return f"line {self.line} char {self.char}: "


@dataclass(slots=True, kw_only=True)
class Node:
    """Base of every syntax node."""

    pos: Position = field(default_factory=Position)
    comment: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Literals and operands (valid both inside and outside lambdas)


@dataclass(slots=True, kw_only=True)
class NumberNode(Node):
    """An int or float literal. `literal` is the source text (`0600` keeps its octal form)."""

    value: int | float
    literal: str = ""

    @property
    def is_int(self) -> bool:
        return isinstance(self.value, int)


@dataclass(slots=True, kw_only=True)
class StringNode(Node):
    """A single- or triple-quoted string; `value` is unescaped."""

    value: str
    triple: bool = False


@dataclass(slots=True, kw_only=True)
class DurationNode(Node):
    """A duration literal such as `10s`; `ns` is its length, `literal` the source text."""

    ns: int
    literal: str


@dataclass(slots=True, kw_only=True)
class RegexNode(Node):
    """A `/.../` literal. `pattern` has `\\/` unescaped; `literal` is the text between the slashes as written."""

    pattern: str
    literal: str


@dataclass(slots=True, kw_only=True)
class BoolNode(Node):
    """`TRUE` or `FALSE`."""

    value: bool


@dataclass(slots=True, kw_only=True)
class StarNode(Node):
    """`*` where an operand is expected (`groupBy(*)`)."""


@dataclass(slots=True, kw_only=True)
class ReferenceNode(Node):
    """A double-quoted field or tag reference, `"value"`."""

    name: str


@dataclass(slots=True, kw_only=True)
class IdentifierNode(Node):
    """A bare name: a var, or `stream` / `batch`."""

    name: str


@dataclass(slots=True, kw_only=True)
class ListNode(Node):
    """`['a', b, *]`: items are StringNode, IdentifierNode or StarNode."""

    items: list[Node]


@dataclass(slots=True, kw_only=True)
class UnaryNode(Node):
    """`-x` or `!x`."""

    op: str
    operand: Node


@dataclass(slots=True, kw_only=True)
class BinaryNode(Node):
    """`left op right`; `op` is the operator's text (`+`, `==`, `=~`, `AND`, `OR`, ...).

    `parens` is true when the source wrapped this expression in parentheses; `multiline` when the
    source had a newline between the start of the left operand and the start of the right one.
    """

    op: str
    left: Node
    right: Node
    parens: bool = False
    multiline: bool = False


@dataclass(slots=True, kw_only=True)
class FunctionNode(Node):
    """A call inside an expression (`sigma("value")`, `count()`), or a global call outside a chain.

    `multiline` is the formatter's flag: a newline stood between the name and the last argument.
    """

    name: str
    args: list[Node]
    multiline: bool = False


@dataclass(slots=True, kw_only=True)
class LambdaNode(Node):
    """`lambda: expr`."""

    expr: Node


# ---------------------------------------------------------------------------------------------
# Chains and statements


@dataclass(slots=True, kw_only=True)
class ChainNode(Node):
    """One step of a chain applied to `left`.

    `op` is `|` (chaining method, creates a child node), `.` (property method, configures the current
    node), or `@` (UDF). `args` is None for a property read without parentheses (`.name`).
    `multiline` is as in FunctionNode.
    """

    left: Node
    op: str
    name: str
    args: list[Node] | None
    multiline: bool = False
    #: Where the method name starts, and a comment block between the operator and the name.
    name_pos: Position = field(default_factory=Position)
    name_comment: list[str] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class DeclarationNode(Node):
    """`var name = value` or the typed template parameter `var name type` (value None).

    `comment` holds the description: the comment block directly above the declaration.
    """

    name: str
    value: Node | None = None
    type_name: str | None = None
    name_pos: Position = field(default_factory=Position)
    #: Comment blocks in front of the name and in front of the type name (rare; kept for the formatter).
    name_comment: list[str] = field(default_factory=list)
    type_comment: list[str] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class DBRPNode(Node):
    """`dbrp "db"."rp"`."""

    db: str
    rp: str


@dataclass(slots=True, kw_only=True)
class ExpressionStatement(Node):
    """A bare expression at statement level (usually a chain starting at `stream` or a var)."""

    expr: Node


@dataclass(slots=True, kw_only=True)
class ProgramNode(Node):
    """A whole script. `trailing_comment` is a comment block at the end of the file."""

    statements: list[Node]
    trailing_comment: list[str] = field(default_factory=list)
    #: Every comment block left over at the end (Kapacitor can keep two); the last is `trailing_comment`.
    trailing_comments: list[list[str]] = field(default_factory=list)
