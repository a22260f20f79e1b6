"""Code generation for the lambda compiler: Python source for each syntax node, typed fast paths.

`Gen` writes the lines of one expression's evaluation into a `Source`, inlining the common
operator/type pairs (`INLINE`) and falling back to the operator helpers for the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kapacitrio.tick import ast
from kapacitrio.tick import functions as _functions
from kapacitrio.tick import operators as _ops
from kapacitrio.tick.errors import EvalError, TickError
from kapacitrio.tick.regex import RegexError, compile_re2
from kapacitrio.tick.values import Duration

if TYPE_CHECKING:
    from kapacitrio.tick.lambdas import Compiler

_Pattern = re.Pattern

# Inline code for operator/type pairs that need no helper; `{l}`/`{r}` are the operand codes.
_INLINE: dict[tuple[str, type, type], str] = {}
for _op in ("==", "!=", "<", "<=", ">", ">="):
    for _pair in ((int, int), (float, float), (str, str), (Duration, Duration)):
        _INLINE[(_op, *_pair)] = "({l} " + _op + " {r})"
    # Go converts the int to float64 before comparing.
    _INLINE[(_op, int, float)] = "(_float({l}) " + _op + " {r})"
    _INLINE[(_op, float, int)] = "({l} " + _op + " _float({r}))"
for _op in ("==", "!="):
    _INLINE[(_op, bool, bool)] = "({l} " + _op + " {r})"
for _op in ("+", "-", "*"):
    # int64 arithmetic wraps around on overflow, as in Go.
    _INLINE[(_op, int, int)] = (
        "(_w if -9223372036854775808 <= (_w := {l} " + _op + " {r}) <= 9223372036854775807"
        " else _wrap64(_w))"
    )
    _INLINE[(_op, float, float)] = "({l} " + _op + " {r})"
_INLINE[("+", str, str)] = "({l} + {r})"
_INLINE[("/", float, float)] = "_fdiv({l}, {r})"
_INLINE[("/", int, int)] = "_idiv({l}, {r})"
_INLINE[("%", int, int)] = "_imod({l}, {r})"
_INLINE[("=~", str, _Pattern)] = "({r}.search({l}) is not None)"
_INLINE[("!~", str, _Pattern)] = "({r}.search({l}) is None)"

# Runtime types tried first (in this order) when an operand's type is only known at run time.
_FAST_TYPES = (float, int, str, bool)

# Names the generated functions use on every evaluation, bound as default arguments (fast locals).
FAST_ARGS = "_type=type, _float=float, _int=int, _str=str, _bool=bool, _NF=_NOT_FOUND, _M=_MISSING"

# ---------------------------------------------------------------------------------------------
# Code generation


@dataclass(slots=True)
class Operand:
    code: str  # a Python expression (a local name or a literal) holding the value
    stype: type | None  # the static type, when known at compile time
    dynamic: bool  # Kapacitor's notion: depends on a reference or a function call
    ref: str | None = None  # the reference name when the operand is a plain reference


class Gen:
    """Generates the body of one evaluation function."""

    def __init__(self, compiler: Compiler, mode: str) -> None:
        self.c = compiler
        self.mode = mode  # "eval", "bool" or "scope"
        self.lines: list[str] = []
        # Per emitted line: the argument positions it sits in (outermost first) and, for the
        # line that calls a built-in, the function's name. Errors are worded from this.
        self.contexts: list[tuple[tuple[int, ...], str | None]] = []
        self.arg_stack: list[int] = []
        self.indent = 1
        self.tmp = 0

    def emit(self, line: str, *, calls: str | None = None) -> None:
        self.lines.append("    " * self.indent + line)
        self.contexts.append((tuple(self.arg_stack), calls))

    def new(self, prefix: str = "_v") -> str:
        self.tmp += 1
        return f"{prefix}{self.tmp}"

    # -- nodes ---------------------------------------------------------------------------------

    def gen(self, node: ast.Node, *, root: bool = False) -> Operand:
        if isinstance(node, ast.LambdaNode):
            return self.gen(node.expr, root=root)
        if isinstance(node, ast.NumberNode):
            return self.const(node.value)
        if isinstance(node, ast.StringNode):
            return self.const(node.value)
        if isinstance(node, ast.BoolNode):
            return self.const(bool(node.value))
        if isinstance(node, ast.DurationNode):
            return self.const(Duration(node.ns))
        if isinstance(node, ast.RegexNode):
            try:
                return self.const(compile_re2(node.pattern))
            except RegexError as err:
                raise TickError(str(err)) from None
        if isinstance(node, ast.ReferenceNode):
            return self.reference(node.name)
        if isinstance(node, ast.IdentifierNode):
            return self.identifier(node)
        if isinstance(node, ast.UnaryNode):
            return self.unary(node)
        if isinstance(node, ast.BinaryNode):
            if node.op in _ops.LOGICAL_OPS:
                return self.logical(node)
            return self.binary(node)
        if isinstance(node, ast.FunctionNode):
            return self.function(node, root=root)
        raise TickError(f"unsupported node type {type(node).__name__} in lambda expression")

    def const(self, value: object) -> Operand:
        t = type(value)
        if (
            t is bool
            or t is int
            or t is str
            or (t is float and value == value and abs(value) != float("inf"))
        ):
            return Operand(repr(value), t, False)
        return Operand(self.c.constant(value), t, False)

    def identifier(self, node: ast.IdentifierNode) -> Operand:
        if node.name not in self.c.vars:
            names = ", ".join(sorted(self.c.vars))
            raise TickError(f'name "{node.name}" is undefined. Names in scope: {names}')
        value = self.c.vars[node.name]
        if isinstance(value, ast.Node):
            return self.gen(value)
        return self.const(value)

    def reference(self, name: str) -> Operand:
        if self.mode == "scope":
            var = self.new("_r")
            self.emit(f"{var} = _get(_scope, {name!r})")
            return Operand(var, None, True, name)
        return Operand(self.c.ref_local(name), None, True, name)

    def unary(self, node: ast.UnaryNode) -> Operand:
        v = self.gen(node.operand)
        if v.stype is int or v.stype is float:
            return Operand(f"(-{v.code})", v.stype, v.dynamic)
        if v.stype is bool:
            return Operand(f"(not {v.code})", bool, v.dynamic)
        if v.stype is Duration:
            return Operand(f"_Duration(-{v.code})", Duration, v.dynamic)
        out = self.new()
        self.emit(f"{out} = _unary({node.op!r}, {v.code}, {v.ref!r})")
        return Operand(out, None, v.dynamic)

    def binary(self, node: ast.BinaryNode) -> Operand:
        op = node.op
        if op not in _ops.MATH_OPS and op not in _ops.COMPARISON_OPS:
            raise TickError(f"unknown binary operator {op}")
        left = self.gen(node.left)
        right = self.gen(node.right)
        is_cmp = op in _ops.COMPARISON_OPS
        dynamic = (left.dynamic or right.dynamic) and not is_cmp
        out = self.new()
        if left.stype is not None and right.stype is not None:
            rtype = _ops.result_type(op, left.stype, right.stype)
            if rtype is None:
                err = _ops.type_error(op, left.stype, right.stype)
                if not left.dynamic and not right.dynamic:
                    raise err
                self.emit(f"_raise({self.c.constant(err)})")
                return Operand("None", bool if is_cmp else None, dynamic)
            return Operand(self.inline(op, left, right, left.stype, right.stype), rtype, dynamic)
        slow = f"_binary_slow({op!r}, {left.code}, {right.code}, {left.ref!r}, {right.ref!r})"
        branches = self.fast_branches(op, left, right)
        first = True
        for cond, code in branches:
            self.emit(f"{'if' if first else 'elif'} {cond}:")
            self.emit(f"    {out} = {code}")
            first = False
        if first:
            self.emit(f"{out} = {slow}")
        else:
            self.emit("else:")
            self.emit(f"    {out} = {slow}")
        return Operand(out, bool if is_cmp else None, dynamic)

    def inline(self, op: str, left: Operand, right: Operand, lt: type, rt: type) -> str:
        # An int literal compared with a float is converted once, here.
        if (lt, rt) == (int, float) and _is_int_literal(left.code):
            left, lt = Operand(_float_literal(left.code), float, False), float
        elif (lt, rt) == (float, int) and _is_int_literal(right.code):
            right, rt = Operand(_float_literal(right.code), float, False), float
        template = _INLINE.get((op, lt, rt))
        if template is not None:
            return template.format(l=left.code, r=right.code)
        fn = _ops.table_function(op, lt, rt)
        return f"{self.c.constant(fn)}({left.code}, {right.code})"

    def fast_branches(self, op: str, left: Operand, right: Operand) -> list[tuple[str, str]]:
        """Conditions on the runtime types with the inline code for them (same code merged)."""
        by_code: dict[str, list[str]] = {}
        if left.stype is not None or right.stype is not None:
            known_left = left.stype is not None
            probe = right if known_left else left
            var = self.new("_t")
            self.emit(f"{var} = _type({probe.code})")
            for t in _FAST_TYPES:
                pair = (left.stype, t) if known_left else (t, right.stype)
                if (op, *pair) in _INLINE:
                    code = self.inline(op, left, right, *pair)
                    by_code.setdefault(code, []).append(f"{var} is _{t.__name__}")
        else:
            lvar, rvar = self.new("_t"), self.new("_t")
            self.emit(f"{lvar} = _type({left.code})")
            self.emit(f"{rvar} = _type({right.code})")
            for t in _FAST_TYPES[:3]:
                if (op, t, t) in _INLINE:
                    code = self.inline(op, left, right, t, t)
                    by_code.setdefault(code, []).append(f"{lvar} is _{t.__name__}")
            return [
                (f"{lvar} is {rvar} and ({' or '.join(conds)})", code)
                for code, conds in by_code.items()
            ]
        return [(" or ".join(conds), code) for code, conds in by_code.items()]

    def logical(self, node: ast.BinaryNode) -> Operand:
        op = node.op
        left = self.gen(node.left)
        # Kapacitor reads a reference on the right before short-circuiting (it checks its type).
        eager = None
        if isinstance(node.right, ast.ReferenceNode):
            eager = self.gen(node.right)
        dynamic = False
        out = self.new()
        if left.stype is not None and left.stype is not bool:
            rt = eager.stype if eager is not None else _static_type_hint(node.right)
            err = _ops.type_error(op, left.stype, rt or bool)
            if not left.dynamic and eager is None and not _is_dynamic_node(node.right):
                raise err
            self.emit(f"_raise({self.c.constant(err)})")
            return Operand("None", bool, dynamic)
        right_hint = eager.code if eager is not None else "True"
        if left.stype is None:
            self.emit(f"if _type({left.code}) is not _bool:")
            self.emit(
                f"    raise _binary_error({op!r}, {left.code}, {right_hint}, {left.ref!r}, "
                f"{eager.ref if eager is not None else None!r})"
            )
        if eager is not None and eager.stype is None:
            self.emit(f"if _type({eager.code}) is not _bool:")
            self.emit(f"    raise _binary_error({op!r}, True, {eager.code}, None, {eager.ref!r})")
        self.emit(f"if {'not ' if op == 'OR' else ''}{left.code}:")
        self.indent += 1
        right = eager if eager is not None else self.gen(node.right)
        if right.stype is not None and right.stype is not bool:
            err = _ops.type_error(op, bool, right.stype)
            if not left.dynamic and not right.dynamic:
                raise err
            self.emit(f"_raise({self.c.constant(err)})")
        elif right.stype is None and eager is None:
            self.emit(f"if _type({right.code}) is not _bool:")
            self.emit(f"    raise _binary_error({op!r}, True, {right.code}, None, {right.ref!r})")
        self.emit(f"{out} = {right.code}")
        self.indent -= 1
        self.emit("else:")
        self.emit(f"    {out} = {'True' if op == 'OR' else 'False'}")
        return Operand(out, bool, dynamic)

    def function(self, node: ast.FunctionNode, *, root: bool) -> Operand:
        spec = _functions.lookup(node.name)
        if spec is None:
            err = EvalError(f'undefined function: "{node.name}"')
            self.emit(f"_raise({self.c.constant(err)})")
            return Operand("None", None, True)
        args: list[Operand] = []
        for i, arg in enumerate(node.args, start=1):
            self.arg_stack.append(i)
            args.append(self.gen(arg))
            self.arg_stack.pop()
        codes = [a.code for a in args]
        literals = [_literal(a) for a in node.args]
        check = self.c.constant(
            _functions.signature_checker(spec, literals, self.c.references_for_errors)
        )
        static_types = [a.stype for a in args]
        rtype = spec.return_type_for(static_types)
        all_static = all(t is not None for t in static_types)
        sig_ok = all_static and spec.accepts(static_types)
        if not sig_ok:
            if len(codes) == 1:
                accepted = self.c.constant(
                    frozenset(sig[0] for sig in spec.signatures if len(sig) == 1)
                )
                probe = f"_type({codes[0]})"
            else:
                accepted = self.c.constant(frozenset(spec.signatures))
                probe = "(" + "".join(f"_type({c}), " for c in codes) + ")"
            guard = f"{check}({', '.join(codes)}) if {probe} not in {accepted} else None"
            if root and self.mode == "scope":
                # Kapacitor's typed evaluation of a root function calls it without the check
                # (the engine's predicates and eval always check the types first).
                self.emit(f"if not _typed: {guard}")
            else:
                self.emit(guard)
        call = self.c.function_call(spec)
        out = self.new()
        self.emit(f"{out} = {call}({', '.join(codes)})", calls=node.name)
        return Operand(out, rtype, True)


def _is_int_literal(code: str) -> bool:
    return code.isdigit() or (code.startswith("(-") and code[2:-1].isdigit())


def _float_literal(code: str) -> str:
    return repr(float(int(code.strip("()"))))


def _static_type_hint(node: ast.Node) -> type | None:
    if isinstance(node, ast.BinaryNode) and (
        node.op in _ops.COMPARISON_OPS or node.op in _ops.LOGICAL_OPS
    ):
        return bool
    return None


def _is_dynamic_node(node: ast.Node) -> bool:
    if isinstance(node, (ast.ReferenceNode, ast.FunctionNode)):
        return True
    if isinstance(node, ast.UnaryNode):
        return _is_dynamic_node(node.operand)
    if isinstance(node, ast.LambdaNode):
        return _is_dynamic_node(node.expr)
    if isinstance(node, ast.BinaryNode):
        if node.op in _ops.COMPARISON_OPS or node.op in _ops.LOGICAL_OPS:
            return False
        return _is_dynamic_node(node.left) or _is_dynamic_node(node.right)
    return False


def _literal(node: ast.Node) -> str:
    """How an argument is shown in signature errors."""
    if isinstance(node, ast.ReferenceNode):
        return '"' + node.name + '"'
    if isinstance(node, ast.StringNode):
        return "'" + node.value.replace("'", "\\'") + "'"
    if isinstance(node, ast.NumberNode):
        return node.literal or repr(node.value)
    if isinstance(node, ast.DurationNode):
        return node.literal
    if isinstance(node, ast.RegexNode):
        return "/" + node.literal + "/"
    if isinstance(node, ast.BoolNode):
        return "TRUE" if node.value else "FALSE"
    if isinstance(node, ast.FunctionNode):
        return node.name + "(" + ", ".join(_literal(a) for a in node.args) + ")"
    if isinstance(node, ast.UnaryNode):
        return node.op + _literal(node.operand)
    if isinstance(node, ast.BinaryNode):
        return f"{_literal(node.left)} {node.op} {_literal(node.right)}"
    if isinstance(node, ast.IdentifierNode):
        return node.name
    if isinstance(node, ast.LambdaNode):
        return _literal(node.expr)
    return "?"


def root_kind(node: ast.Node) -> str:
    while isinstance(node, ast.LambdaNode):
        node = node.expr
    if isinstance(node, ast.BinaryNode):
        return "binary"
    if isinstance(node, ast.UnaryNode):
        return "unary"
    if isinstance(node, ast.FunctionNode):
        return "function"
    return "other"


def collect_references(node: ast.Node, out: list[str], vars: dict) -> None:
    if isinstance(node, ast.ReferenceNode):
        if node.name not in out:
            out.append(node.name)
    elif isinstance(node, ast.LambdaNode):
        collect_references(node.expr, out, vars)
    elif isinstance(node, ast.UnaryNode):
        collect_references(node.operand, out, vars)
    elif isinstance(node, ast.BinaryNode):
        collect_references(node.left, out, vars)
        collect_references(node.right, out, vars)
    elif isinstance(node, ast.FunctionNode):
        for arg in node.args:
            collect_references(arg, out, vars)
    elif isinstance(node, ast.IdentifierNode):
        value = vars.get(node.name)
        if isinstance(value, ast.Node):
            collect_references(value, out, vars)


class Source:
    """Generated source lines, remembering the error context of each line by its number."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.contexts: dict[int, tuple[tuple[int, ...], str | None]] = {}

    def add(self, line: str, context: tuple[tuple[int, ...], str | None] | None = None) -> None:
        self.lines.append(line)
        if context is not None and (context[0] or context[1] is not None):
            self.contexts[len(self.lines)] = context
