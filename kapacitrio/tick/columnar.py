"""The lambda compiler's columnar backend: a stateless lambda evaluated over a whole `ColumnChunk`.

`compile_columnar(node)` gives a `ColumnarExpression`, or None when the expression cannot be
vectorised at all (stateful functions, `now()`, durations, times ...). Evaluating it on a chunk
gives the values of every row and a *fallback mask*: the rows the vectorised code cannot vouch
for (a missing value, a tag where a field was expected, a division by zero, a value that would
raise). Callers re-evaluate exactly those rows with the per-point code, so results, errors and
error counts are the per-point ones. Marking a row for fallback is always safe; the backend
marks generously and stays simple. An evaluation that cannot be done by columns at all for this
chunk (mixed-type fields, an operator the types do not allow) returns None: the whole chunk
goes point by point.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from kapacitrio.models.columns import Column, ColumnChunk
from kapacitrio.tick import ast
from kapacitrio.tick import functions as _functions
from kapacitrio.tick import operators as _ops
from kapacitrio.tick.errors import TickError
from kapacitrio.tick.regex import RegexError, compile_re2

__all__ = ["ColumnarExpression", "Vec", "compile_columnar"]

_Pattern = re.Pattern
_I64_MIN = np.iinfo(np.int64).min

#: Functions computed by numpy, bit for bit what the scalar code gives (IEEE-exact operations).
#: (`+ 0.0` turns numpy's -0.0 from rounding a small negative into the scalar code's 0.0.)
_NUMPY_FLOAT1: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "abs": np.abs,
    "sqrt": np.sqrt,
    "floor": lambda x: np.floor(x) + 0.0,
    "ceil": lambda x: np.ceil(x) + 0.0,
    "trunc": lambda x: np.trunc(x) + 0.0,
}
#: Functions never vectorised: state, the clock or randomness make them per-call.
_NEVER = frozenset({"now", "rand"})


class _Unsupported(Exception):
    """This chunk cannot be evaluated by columns; the caller goes point by point."""


class Vec:
    """A value over the rows: `kind` (float, int, bool, str or a regex), `data` an array (codes
    into `table` for str) or, when `const`, one Python value."""

    __slots__ = ("kind", "data", "table", "const")

    def __init__(self, kind: type, data: Any, table: list[Any] | None = None, const: bool = False):
        self.kind = kind
        self.data = data
        self.table = table
        self.const = const

    def values(self, n: int) -> np.ndarray:
        """A full array (object array of str for strings)."""
        if self.const:
            if self.kind is str:
                out = np.empty(n, dtype=object)
                out[:] = self.data
                return out
            return np.full(n, self.data, dtype=_DTYPES[self.kind])
        if self.kind is str:
            return np.array(self.table, dtype=object)[self.data]
        return self.data

    def pylist(self, n: int) -> list[Any]:
        if self.const:
            return [self.data] * n
        if self.kind is str:
            table = self.table
            return [table[c] for c in self.data.tolist()]
        return self.data.tolist()

    def column(self, n: int) -> Column:
        return Column(self.values(n))


_DTYPES = {float: np.float64, int: np.int64, bool: np.bool_, str: object}


class _Scope:
    """What references read: the chunk's fields and tags, with eval's earlier results on top."""

    def __init__(self, chunk: ColumnChunk, overlay: dict[str, Vec] | None = None) -> None:
        self.chunk = chunk
        self.n = len(chunk)
        self.overlay = overlay or {}
        self.fb = np.zeros(self.n, dtype=np.bool_)

    def reference(self, name: str) -> Vec:
        vec = self.overlay.get(name)
        if vec is not None:
            self._conflicts(name, None)
            return vec
        c = self.chunk
        if name == "time":
            raise _Unsupported
        col = c.fields.get(name)
        if col is None:
            if name not in c.tag_keys():
                raise _Unsupported  # missing everywhere: the per-point errors say it
            codes, table = c.tag_column(name)
            if None in table:
                self.fb |= codes == table.index(None)
            return Vec(str, codes, table)
        kind = col.kind
        if kind is object:
            raise _Unsupported
        if col.present is not None:
            self.fb |= ~col.present
        self._conflicts(name, col.present)
        if kind is str:
            index: dict[str, int] = {}
            vals = col.values.tolist() if col.present is None else _fill(col)
            codes = np.array([index.setdefault(v, len(index)) for v in vals], dtype=np.int32)
            return Vec(str, codes, list(index))
        if col.values.dtype == object:  # a mixed column whose rows here agree (a part of it)
            vals = col.values if col.present is None else np.where(col.present, col.values, 0)
            return Vec(kind, np.asarray(vals.tolist(), dtype=_DTYPES[kind]))
        return Vec(kind, col.values)

    def _conflicts(self, name: str, present: np.ndarray | None) -> None:
        """A field and a tag of the same name is an error: those rows go point by point."""
        c = self.chunk
        if name in c.tag_keys():
            tag = c.is_tag(name)
            self.fb |= tag if present is None else tag & present

    def present(self, name: str) -> np.ndarray:
        """isPresent: rows where the name is a field or a tag (both at once: per point)."""
        vec = self.overlay.get(name)
        if vec is not None:
            self._conflicts(name, None)
            return np.ones(self.n, dtype=np.bool_)
        c = self.chunk
        col = c.fields.get(name)
        field = (
            np.zeros(self.n, dtype=np.bool_)
            if col is None
            else (np.ones(self.n, dtype=np.bool_) if col.present is None else col.present)
        )
        tag = c.is_tag(name) if name in c.tag_keys() else np.zeros(self.n, dtype=np.bool_)
        self.fb |= field & tag
        return field | tag


def _fill(col: Column) -> list[str]:
    vals = col.values.tolist()
    return ["" if not p else v for v, p in zip(vals, col.present.tolist(), strict=True)]


class ColumnarExpression:
    """A stateless lambda compiled for columns; `evaluate(chunk)` -> (Vec, fallback) or None."""

    __slots__ = ("node", "_root", "key")

    def __init__(self, node: ast.Node, root: Callable[[_Scope], Vec], key: str) -> None:
        self.node = node
        self._root = root
        #: Equal keys, equal results on the same chunk (the expression with its vars inlined).
        self.key = key

    def evaluate(
        self, chunk: ColumnChunk, overlay: dict[str, Vec] | None = None
    ) -> tuple[Vec, np.ndarray] | None:
        """The value of every row and the rows to re-evaluate point by point; None: all of them."""
        scope = _Scope(chunk, overlay)
        try:
            with np.errstate(all="ignore"):
                vec = self._root(scope)
        except (_Unsupported, OverflowError):
            return None
        return vec, scope.fb

    def evaluate_bool(self, chunk: ColumnChunk) -> tuple[np.ndarray, np.ndarray] | None:
        """A predicate's verdict per row (as `eval_bool`) and the fallback rows; None: all.

        Shared through the chunk's memo: tasks with the same condition evaluate it once. A chunk
        whose memo has `"origin": (parent, indices)` (rows the router took for a task) takes its
        verdicts from the parent's, so tasks that see parts of one write share them too: the
        columnar code is row-wise (each row's value and fallback depend on that row alone, and a
        parent the columns cannot evaluate makes the part evaluate itself)."""
        memo_key = ("bool", self.key)
        if memo_key in chunk.memo:
            return chunk.memo[memo_key]
        origin = chunk.memo.get("origin")
        if origin is not None:  # rows taken from a bigger chunk: its verdicts, row for row
            parent, idx = origin
            whole = self.evaluate_bool(parent)
            if whole is not None:
                out = chunk.memo[memo_key] = (whole[0][idx], whole[1][idx])
                return out
        res = self.evaluate(chunk)
        out = None
        if res is not None and res[0].kind is bool:
            vec, fb = res
            out = (vec.values(len(chunk)), fb)
        chunk.memo[memo_key] = out
        return out


def compile_columnar(node: ast.Node, vars: dict | None = None) -> ColumnarExpression | None:
    """The columnar form of a lambda, or None when it has no columnar form."""
    builder = _Builder(dict(vars or {}))
    try:
        root = builder.build(node)
    except _NoColumns:
        return None
    key = repr((_shape(node), sorted((k, _shape(v)) for k, v in builder.vars.items())))
    return ColumnarExpression(node, root, key)


def _shape(value: Any) -> Any:
    """The syntax tree without positions and comments: equal shapes, equal expressions."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            tuple(
                (f.name, _shape(getattr(value, f.name)))
                for f in dataclasses.fields(value)
                if f.name not in ("pos", "comment")
            ),
        )
    if isinstance(value, list | tuple):
        return tuple(_shape(v) for v in value)
    return (type(value).__name__, repr(value))


class _NoColumns(Exception):
    """The expression has no columnar form."""


Fn = Callable[[_Scope], Vec]


class _Builder:
    """Turns the syntax tree into nested closures over a `_Scope`."""

    def __init__(self, vars: dict) -> None:
        self.vars = vars

    def build(self, node: ast.Node) -> Fn:
        if isinstance(node, ast.LambdaNode):
            return self.build(node.expr)
        if isinstance(node, ast.NumberNode | ast.StringNode):
            return _const(node.value)
        if isinstance(node, ast.BoolNode):
            return _const(bool(node.value))
        if isinstance(node, ast.RegexNode):
            try:
                return _const(compile_re2(node.pattern))
            except RegexError as err:
                raise TickError(str(err)) from None
        if isinstance(node, ast.ReferenceNode):
            name = node.name
            return lambda s: s.reference(name)
        if isinstance(node, ast.IdentifierNode):
            if node.name not in self.vars:
                raise _NoColumns
            value = self.vars[node.name]
            return self.build(value) if isinstance(value, ast.Node) else _const(value)
        if isinstance(node, ast.UnaryNode):
            return self.unary(node)
        if isinstance(node, ast.BinaryNode):
            if node.op in _ops.LOGICAL_OPS:
                return self.logical(node)
            return self.binary(node)
        if isinstance(node, ast.FunctionNode):
            return self.function(node)
        raise _NoColumns

    def unary(self, node: ast.UnaryNode) -> Fn:
        arg = self.build(node.operand)
        op = node.op

        def run(s: _Scope) -> Vec:
            v = arg(s)
            if op == "!" and v.kind is bool:
                return Vec(bool, not v.data, const=True) if v.const else Vec(bool, ~v.data)
            if op == "-" and v.kind in (int, float):
                if v.const:
                    return Vec(v.kind, -v.data, const=True)
                if v.kind is int:
                    s.fb |= v.data == _I64_MIN  # Python's -MIN leaves int64; per point
                return Vec(v.kind, -v.data)
            raise _Unsupported

        return run

    def logical(self, node: ast.BinaryNode) -> Fn:
        left, right = self.build(node.left), self.build(node.right)
        is_and = node.op == "AND"
        both = np.logical_and if is_and else np.logical_or
        # Point by point, a reference on the right is read (and checked) before short-circuiting;
        # anything else on the right is not evaluated where the left decides.
        eager = isinstance(node.right, ast.ReferenceNode)

        def run(s: _Scope) -> Vec:
            lv = left(s)
            if lv.kind is not bool:
                raise _Unsupported
            before = s.fb.copy()
            rv = right(s)
            if rv.kind is not bool:
                raise _Unsupported
            if not eager:
                decided = np.logical_not(lv.data) if is_and else np.asarray(lv.data, np.bool_)
                s.fb = before | (s.fb & ~before & ~decided)
            if lv.const and rv.const:
                return Vec(bool, bool(both(lv.data, rv.data)), const=True)
            return Vec(bool, both(lv.data, rv.data))

        return run

    def binary(self, node: ast.BinaryNode) -> Fn:
        op = node.op
        if op not in _ops.MATH_OPS and op not in _ops.COMPARISON_OPS:
            raise _NoColumns
        left, right = self.build(node.left), self.build(node.right)

        def run(s: _Scope) -> Vec:
            return _binary(s, op, left(s), right(s))

        return run

    def function(self, node: ast.FunctionNode) -> Fn:
        spec = _functions.lookup(node.name)
        if spec is None or spec.stateful or node.name in _NEVER:
            raise _NoColumns
        if node.name == "isPresent":
            if len(node.args) != 1 or not isinstance(node.args[0], ast.ReferenceNode):
                raise _NoColumns
            ref = node.args[0].name
            return lambda s: Vec(bool, s.present(ref))
        args = [self.build(a) for a in node.args]
        name = node.name
        numpy_fn = _NUMPY_FLOAT1.get(name)

        def run(s: _Scope) -> Vec:
            vals = [a(s) for a in args]
            kinds = [v.kind for v in vals]
            if not spec.accepts(kinds):
                raise _Unsupported  # a type error: worded per point
            if numpy_fn is not None and len(vals) == 1 and not vals[0].const:
                return Vec(float, numpy_fn(vals[0].data))
            return _elementwise(s, spec.call, vals, spec.return_type_for(kinds))

        return run


def _const(value: Any) -> Fn:
    kind = _Pattern if isinstance(value, _Pattern) else type(value)
    if kind not in (int, float, bool, str, _Pattern):
        raise _NoColumns  # durations and other constants stay per point
    vec = Vec(kind, value, const=True)
    return lambda s: vec


def _elementwise(s: _Scope, call: Callable, vals: list[Vec], rtype: type | None) -> Vec:
    """A scalar built-in over the rows, one call per row; a row that raises is a fallback row."""
    n = s.n
    cols = [v.pylist(n) for v in vals]
    out: list[Any] = []
    append = out.append
    fb = s.fb
    for i, args in enumerate(zip(*cols, strict=True)):
        try:
            append(call(*args))
        except Exception:
            fb[i] = True
            append(None)
    kinds = {type(v) for i, v in enumerate(out) if not fb[i]}
    kind = kinds.pop() if len(kinds) == 1 else rtype
    if kinds or kind not in _DTYPES:
        raise _Unsupported
    if kind is str:
        index: dict[str, int] = {}
        codes = [index.setdefault("" if v is None else v, len(index)) for v in out]
        return Vec(str, np.array(codes, dtype=np.int32), list(index))
    filler = _DTYPES[kind](0)
    return Vec(kind, np.array([filler if v is None else v for v in out], dtype=_DTYPES[kind]))


_NUMERIC = (int, float)
_CMP = {
    "==": np.equal,
    "!=": np.not_equal,
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
}


def _binary(s: _Scope, op: str, lv: Vec, rv: Vec) -> Vec:
    lk, rk = lv.kind, rv.kind
    if op in _CMP:
        if lk in _NUMERIC and rk in _NUMERIC or (lk is bool and rk is bool and op in ("==", "!=")):
            return _cmp(op, lv, rv)
        if lk is str and rk is str:
            return _str_cmp(s, op, lv, rv)
        raise _Unsupported
    if op in ("=~", "!~"):
        if lk is str and rk is _Pattern and rv.const:
            return _regex(op, lv, rv.data)
        raise _Unsupported
    if lk is not rk or lk not in _NUMERIC:
        raise _Unsupported  # strings, durations, mixed int and float: per point
    if lv.const and rv.const:
        raise _Unsupported  # folded per point (rare)
    a, r = lv.data, rv.data
    if op == "+":
        return Vec(lk, np.add(a, r, dtype=_DTYPES[lk]))
    if op == "-":
        return Vec(lk, np.subtract(a, r, dtype=_DTYPES[lk]))
    if op == "*":
        return Vec(lk, np.multiply(a, r, dtype=_DTYPES[lk]))
    if op == "/" and lk is float:
        return Vec(float, np.true_divide(a, r, dtype=np.float64))
    if op in ("/", "%") and lk is int:
        return _int_div(s, op, lv, rv)
    raise _Unsupported


def _cmp(op: str, lv: Vec, rv: Vec) -> Vec:
    a, r = lv.data, rv.data
    if lv.kind is not rv.kind and lv.kind in _NUMERIC:  # Go compares an int as a float64
        a = np.asarray(a, dtype=np.float64) if lv.kind is int else a
        r = np.asarray(r, dtype=np.float64) if rv.kind is int else r
    out = _CMP[op](a, r)
    if lv.const and rv.const:
        return Vec(bool, bool(out), const=True)
    return Vec(bool, out)


def _str_cmp(s: _Scope, op: str, lv: Vec, rv: Vec) -> Vec:
    """Strings: each distinct value is compared once, then the verdicts are looked up by code."""
    fn = _ops.table_function(op, str, str)
    if lv.const and rv.const:
        return Vec(bool, bool(fn(lv.data, rv.data)), const=True)
    if rv.const:
        if op in ("==", "!="):  # equality of str values is Python's: compared in one pass
            eq = np.array([v == rv.data for v in lv.table], dtype=np.bool_)
            verdict = eq if op == "==" else ~eq & np.array([v is not None for v in lv.table])
        else:
            verdict = np.array([v is not None and fn(v, rv.data) for v in lv.table], dtype=np.bool_)
        return Vec(bool, verdict[lv.data])
    if lv.const:
        verdict = np.array([v is not None and fn(lv.data, v) for v in rv.table], dtype=np.bool_)
        return Vec(bool, verdict[rv.data])
    pairs = zip(lv.pylist(s.n), rv.pylist(s.n), strict=True)
    out = np.array([a is not None and b is not None and fn(a, b) for a, b in pairs], dtype=np.bool_)
    return Vec(bool, out)


def _regex(op: str, lv: Vec, pattern: re.Pattern) -> Vec:
    """A regex is run once per distinct string value."""
    want = op == "=~"
    if lv.const:
        return Vec(bool, (pattern.search(lv.data) is not None) is want, const=True)
    verdict = np.array(
        [v is not None and (pattern.search(v) is not None) is want for v in lv.table],
        dtype=np.bool_,
    )  # (None: rows without the tag, already falling back)
    return Vec(bool, verdict[lv.data])


def _int_div(s: _Scope, op: str, lv: Vec, rv: Vec) -> Vec:
    """Go's int64 `/` (towards zero) and `%` (sign of the dividend); a zero divisor errs per point."""
    n = s.n
    a = np.broadcast_to(np.asarray(lv.data, dtype=np.int64), (n,))
    r = np.broadcast_to(np.asarray(rv.data, dtype=np.int64), (n,))
    bad = (r == 0) | (a == _I64_MIN)
    s.fb |= bad
    safe_r = np.where(bad, 1, r)
    safe_l = np.where(bad, 0, a)
    q = np.abs(safe_l) // np.abs(safe_r)
    q = np.where((safe_l < 0) == (safe_r < 0), q, -q)
    if op == "/":
        return Vec(int, q)
    return Vec(int, safe_l - safe_r * q)
