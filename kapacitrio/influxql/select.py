"""Parse an InfluxQL query into its one SELECT statement's clauses, and rebuild it for a window.

The grammar (parsimonious) splits the statement into its clauses; expressions inside a clause are
kept as the text the user wrote (balanced parentheses, quoting and regexes respected), so a
rebuilt statement says exactly what the original said. As Kapacitor does, the rebuilt statement
adds the window's time condition to the outer WHERE, replaces the GROUP BY dimensions with the
node's, sets `fill()` only when the node has one, and keeps everything else (INTO, ORDER BY,
LIMIT, OFFSET, SLIMIT, SOFFSET, tz(), subqueries).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from parsimonious.exceptions import IncompleteParseError, ParseError, VisitationError
from parsimonious.grammar import Grammar
from parsimonious.nodes import Node, NodeVisitor

from kapacitrio.tick.values import go_quote

GRAMMAR = Grammar(
    r"""
    query       = ws statement (ws ";")* ws
    statement   = SELECT ws expr into? ws FROM ws sources where? group_by? fill? order_by?
                  limit? offset? slimit? soffset? tz?
    into        = ws INTO ws measurement
    sources     = source (ws "," ws source)*
    source      = subquery / measurement
    subquery    = "(" ws statement ws ")"
    measurement = qualifier? mname
    qualifier   = (mpart? "." mpart? ".") / (mpart ".")
    mname       = regex / mpart
    mpart       = quoted / ident
    where       = ws WHERE ws expr
    group_by    = ws GROUP ws BY ws expr
    fill        = ws FILL ws "(" ws fill_arg ws ")"
    fill_arg    = ~r"(?i)(null|none|previous|linear)\b" / number
    order_by    = ws ORDER ws BY ws sort (ws "," ws sort)*
    sort        = ident (ws ~r"(?i)(asc|desc)\b")?
    limit       = ws LIMIT ws integer
    offset      = ws OFFSET ws integer
    slimit      = ws SLIMIT ws integer
    soffset     = ws SOFFSET ws integer
    tz          = ws TZ ws "(" ws string ws ")"

    expr        = first (ws (comma / term))*
    first       = regex / term
    comma       = "," ws first
    term        = paren / string / match / number / param / cast / operator / quoted / word
    paren       = "(" ws (expr ws)? ")"
    match       = ~r"=~|!~" ws regex
    cast        = "::" ident
    operator    = ~r"!=|<>|<=|>=|=|<|>|\+|-|\*|/|%|&|\||\^"
    word        = !keyword ident
    keyword     = ~r"(?i)(select|from|where|group|order|limit|offset|slimit|soffset|fill|tz|into)\b"

    string      = ~r"'(?:[^'\\]|\\.)*'"
    quoted      = ~r"\"(?:[^\"\\]|\\.)*\""
    regex       = ~r"/(?:[^/\\\n]|\\.)*/"
    number      = ~r"[+-]?[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?(ns|us|u|µ|ms|s|m|h|d|w)?(?![A-Za-z_])"
    integer     = ~r"[0-9]+"
    param       = ~r"\$(\w+|\"(?:[^\"\\]|\\.)*\")"
    ident       = ~r"[A-Za-z_][A-Za-z0-9_]*"
    ws          = ~r"(\s|--[^\n]*(\n|$))*"

    SELECT      = ~r"(?i)select\b"
    INTO        = ~r"(?i)into\b"
    FROM        = ~r"(?i)from\b"
    WHERE       = ~r"(?i)where\b"
    GROUP       = ~r"(?i)group\b"
    BY          = ~r"(?i)by\b"
    FILL        = ~r"(?i)fill\b"
    ORDER       = ~r"(?i)order\b"
    LIMIT       = ~r"(?i)limit\b"
    OFFSET      = ~r"(?i)offset\b"
    SLIMIT      = ~r"(?i)slimit\b"
    SOFFSET     = ~r"(?i)soffset\b"
    TZ          = ~r"(?i)tz\b"
    """
)


class InfluxQLError(ValueError):
    """A query that is not one valid SELECT statement (text as Kapacitor words it)."""


@dataclass(frozen=True)
class Source:
    """A measurement the statement reads, with its database and retention policy ("" if none)."""

    db: str
    rp: str
    name: str


@dataclass(frozen=True)
class Select:
    """One SELECT statement, clause by clause, as written."""

    fields: str
    sources: str
    #: Every measurement read, subqueries' included.
    measurements: tuple[Source, ...] = ()
    into: str = ""
    where: str = ""
    group_by: str = ""
    fill: str = ""
    tail: dict[str, str] = field(default_factory=dict)

    def render(
        self,
        time_condition: str = "",
        dimensions: list[str] | None = None,
        fill: str | None = None,
    ) -> str:
        """The statement for one window: `time_condition` ANDed to WHERE, GROUP BY `dimensions`."""
        parts = [f"SELECT {self.fields}"]
        if self.into:
            parts.append(f"INTO {self.into}")
        parts.append(f"FROM {self.sources}")
        cond = self.where
        if cond and time_condition:
            cond = f"({cond}) AND {time_condition}"
        elif time_condition:
            cond = time_condition
        if cond:
            parts.append(f"WHERE {cond}")
        dims = self.group_by if dimensions is None else ", ".join(dimensions)
        if dims:
            parts.append(f"GROUP BY {dims}")
        fill_text = self.fill if fill is None else fill
        if fill_text:
            parts.append(f"fill({fill_text})")
        for clause in ("ORDER BY", "LIMIT", "OFFSET", "SLIMIT", "SOFFSET"):
            if clause in self.tail:
                parts.append(f"{clause} {self.tail[clause]}")
        if "tz" in self.tail:
            parts.append(f"tz({self.tail['tz']})")
        return " ".join(parts)


def _unquote(text: str) -> str:
    if text.startswith('"'):
        return text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return text


class _Builder(NodeVisitor):
    """Builds `Select`s from the parse tree (outer statements last)."""

    def __init__(self) -> None:
        self.statements: list[Select] = []
        self.measurements: list[Source] = []

    def generic_visit(self, node: Node, visited_children: list) -> Node:
        return node

    def visit_measurement(self, node: Node, children: list) -> Node:
        qualifier, mname = children
        parts: list[str] = []
        if qualifier.children:
            q = qualifier.children[0].children[0]
            texts = [c.text for c in q.children]
            if len(texts) == 4:  # db.rp. (either may be empty)
                parts = [texts[0], texts[2]]
            else:  # rp.
                parts = ["", texts[0]]
        db, rp = (_unquote(p) for p in parts) if parts else ("", "")
        self.measurements.append(Source(db, rp, _unquote(mname.text)))
        return node

    def visit_into(self, node: Node, children: list) -> Node:
        self.measurements.pop()  # the target is written, not read
        return node

    def visit_statement(self, node: Node, children: list) -> Node:
        (_, _, expr, into, _, _, _, sources, where, group, fill, order) = children[:12]
        limit, offset, slimit, soffset, tz = children[12:]
        tail: dict[str, str] = {}
        if order.children:
            tail["ORDER BY"] = node_text(order, 5)
        for key, clause in (
            ("LIMIT", limit),
            ("OFFSET", offset),
            ("SLIMIT", slimit),
            ("SOFFSET", soffset),
        ):
            if clause.children:
                tail[key] = node_text(clause, 3)
        if tz.children:
            tail["tz"] = tz.children[0].children[5].text
        self.statements.append(
            Select(
                fields=expr.text.strip(),
                sources=sources.text.strip(),
                into=node_text(into, 3),
                where=node_text(where, 3),
                group_by=node_text(group, 5),
                fill=fill.children[0].children[5].text if fill.children else "",
                tail=tail,
            )
        )
        return node


def node_text(optional: Node, index: int) -> str:
    """The text of child `index` of an optional clause's sequence ("" when it is absent)."""
    if not optional.children:
        return ""
    return optional.children[0].children[index].text.strip()


def parse_select(text: str) -> Select:
    """The query's one SELECT statement; raises `InfluxQLError` with Kapacitor's texts."""
    count = _count_statements(text)
    if count != 1:
        if count > 1 or not text.strip():
            raise InfluxQLError(f"query must be a single select statement, got {count} statements")
    try:
        tree = GRAMMAR.parse(text)
    except (IncompleteParseError, ParseError) as exc:
        first = text.lstrip()[:6].lower()
        if not first.startswith("select") and first[:1].isalpha():
            raise InfluxQLError(
                f"query is not a select statement {go_quote(text.strip())}"
            ) from None
        raise InfluxQLError(f"failed to parse InfluxQL query: {_describe(exc)}") from None
    builder = _Builder()
    try:
        builder.visit(tree)
    except VisitationError as exc:  # a grammar/visitor mismatch: report, never crash
        raise InfluxQLError(f"failed to parse InfluxQL query: {exc}") from None
    outer = builder.statements[-1]
    return replace(outer, measurements=tuple(builder.measurements))


def _describe(exc: ParseError) -> str:
    """InfluxQL-style position: `found X at line L, char C`."""
    text, pos = exc.text, exc.pos
    rest = text[pos:].split()
    found = rest[0] if rest else "EOF"
    line = text.count("\n", 0, pos) + 1
    char = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"found {found} at line {line}, char {char}"


def _count_statements(text: str) -> int:
    """Statements separated by `;` outside quotes and regexes (empty ones not counted)."""
    import re

    pieces = re.findall(r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|;|[^'";]+|.""", text, re.S)
    count, current = 0, ""
    for piece in pieces + [";"]:
        if piece == ";":
            count += bool(current.strip())
            current = ""
        else:
            current += piece
    return count
