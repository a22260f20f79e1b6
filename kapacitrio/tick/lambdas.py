"""The lambda compiler: turns a lambda's syntax tree into generated Python code, compiled once.

Each expression becomes the source of a factory function; calling the factory makes a fresh set of
stateful-function objects and the closures that evaluate the expression against a point
(`eval`, `eval_bool`) or against an explicit scope (`eval_scope`, used by the conformance corpus).
Types are checked at run time on every evaluation, with inline fast paths for the common ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from kapacitrio.tick import ast
from kapacitrio.tick import functions as _functions
from kapacitrio.tick import operators as _ops
from kapacitrio.tick.errors import EvalError, TickError
from kapacitrio.tick.functions_other import make_now
from kapacitrio.tick.regex import RegexError, compile_re2
from kapacitrio.tick.values import (
    MISSING,
    Duration,
    Time,
    type_name,
)

__all__ = ["compile_expression", "CompiledExpression", "ExpressionInstance", "type_guard_error"]

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

_NOT_FOUND = object()

# Names the generated functions use on every evaluation, bound as default arguments (fast locals).
_FAST_ARGS = "_type=type, _float=float, _int=int, _str=str, _bool=bool, _NF=_NOT_FOUND, _M=_MISSING"


def _conflict(name: str) -> EvalError:
    return EvalError(f'cannot have field and tags with same name "{name}"')


def _get(scope: dict, name: str) -> object:
    """Read a name from an explicit scope, as Kapacitor's scope does (undefined and nil are errors)."""
    try:
        value = scope[name]
    except KeyError:
        names = ",".join(sorted(scope))
        raise EvalError(f'name "{name}" is undefined. Names in scope: {names}') from None
    if value is None:
        raise EvalError(f'referenced value "{name}" is nil.')
    return value


def _raise(err: Exception) -> None:
    """Raise a fresh copy of an error prepared at compile time."""
    raise type(err)(str(err))


def _binary_slow(op: str, left: object, right: object, lname: str | None, rname: str | None):
    return _ops.binary(op, left, right, lname, rname)


def _rewrap(err: Exception, lines: dict[int, tuple[tuple[int, ...], str | None]]) -> Exception:
    """Word an error raised in generated code as Kapacitor's nested evaluators would.

    The failing line tells where it happened: inside which function arguments (each adds
    `Failed to handle N argument: `) and whether it was the call of a built-in (which adds
    `error calling "f": `). Errors from elsewhere pass through unchanged.
    """
    tb = err.__traceback__
    stack, calls = lines.get(tb.tb_lineno if tb is not None else -1, ((), None))
    if not stack and calls is None:
        if isinstance(err, EvalError):
            return err
        return EvalError(f"{type(err).__name__}: {err}")
    text = str(err)
    if calls is not None:
        text = f'error calling "{calls}": {text}'
    for index in reversed(stack):
        text = f"Failed to handle {index} argument: {text}"
    return EvalError(text)


_REQUESTED = {
    "bool": (bool, "boolean"),
    "int": (int, "int"),
    "float": (float, "float"),
    "string": (str, "string"),
    "duration": (Duration, "duration"),
    "regex": (_Pattern, "regex"),
    "time": (Time, "time"),
}


def type_guard_error(root_kind: str, requested: str, value: object) -> EvalError:
    """The error for a result of the wrong type, worded as Kapacitor words it for the root node kind."""
    if root_kind == "binary" and requested in ("bool", "string", "duration"):
        t = type(value)
        go = {bool: "bool", int: "int64", float: "float64"}.get(t, "<nil>")
        return EvalError(f"expression returned unexpected type {go}")
    want = _REQUESTED[requested][1]
    return EvalError(
        f"TypeGuard: expression returned unexpected type {type_name(value)}, expected {want}"
    )


def check_result(root_kind: str, requested: str, value: object) -> object:
    """Return `value` if it has the `requested` type (`any` accepts everything), else raise."""
    if requested == "any":
        return value
    want = _REQUESTED[requested][0]
    if type(value) is not want:
        raise type_guard_error(root_kind, requested, value)
    return value


# ---------------------------------------------------------------------------------------------
# Code generation


@dataclass(slots=True)
class _Operand:
    code: str  # a Python expression (a local name or a literal) holding the value
    stype: type | None  # the static type, when known at compile time
    dynamic: bool  # Kapacitor's notion: depends on a reference or a function call
    ref: str | None = None  # the reference name when the operand is a plain reference


class _Gen:
    """Generates the body of one evaluation function."""

    def __init__(self, compiler: _Compiler, mode: str) -> None:
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

    def gen(self, node: ast.Node, *, root: bool = False) -> _Operand:
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

    def const(self, value: object) -> _Operand:
        t = type(value)
        if (
            t is bool
            or t is int
            or t is str
            or (t is float and value == value and abs(value) != float("inf"))
        ):
            return _Operand(repr(value), t, False)
        return _Operand(self.c.constant(value), t, False)

    def identifier(self, node: ast.IdentifierNode) -> _Operand:
        if node.name not in self.c.vars:
            names = ", ".join(sorted(self.c.vars))
            raise TickError(f'name "{node.name}" is undefined. Names in scope: {names}')
        value = self.c.vars[node.name]
        if isinstance(value, ast.Node):
            return self.gen(value)
        return self.const(value)

    def reference(self, name: str) -> _Operand:
        if self.mode == "scope":
            var = self.new("_r")
            self.emit(f"{var} = _get(_scope, {name!r})")
            return _Operand(var, None, True, name)
        return _Operand(self.c.ref_local(name), None, True, name)

    def unary(self, node: ast.UnaryNode) -> _Operand:
        v = self.gen(node.operand)
        if v.stype is int or v.stype is float:
            return _Operand(f"(-{v.code})", v.stype, v.dynamic)
        if v.stype is bool:
            return _Operand(f"(not {v.code})", bool, v.dynamic)
        if v.stype is Duration:
            return _Operand(f"_Duration(-{v.code})", Duration, v.dynamic)
        out = self.new()
        self.emit(f"{out} = _unary({node.op!r}, {v.code}, {v.ref!r})")
        return _Operand(out, None, v.dynamic)

    def binary(self, node: ast.BinaryNode) -> _Operand:
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
                return _Operand("None", bool if is_cmp else None, dynamic)
            return _Operand(self.inline(op, left, right, left.stype, right.stype), rtype, dynamic)
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
        return _Operand(out, bool if is_cmp else None, dynamic)

    def inline(self, op: str, left: _Operand, right: _Operand, lt: type, rt: type) -> str:
        # An int literal compared with a float is converted once, here.
        if (lt, rt) == (int, float) and _is_int_literal(left.code):
            left, lt = _Operand(_float_literal(left.code), float, False), float
        elif (lt, rt) == (float, int) and _is_int_literal(right.code):
            right, rt = _Operand(_float_literal(right.code), float, False), float
        template = _INLINE.get((op, lt, rt))
        if template is not None:
            return template.format(l=left.code, r=right.code)
        fn = _ops.table_function(op, lt, rt)
        return f"{self.c.constant(fn)}({left.code}, {right.code})"

    def fast_branches(self, op: str, left: _Operand, right: _Operand) -> list[tuple[str, str]]:
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

    def logical(self, node: ast.BinaryNode) -> _Operand:
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
            return _Operand("None", bool, dynamic)
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
        return _Operand(out, bool, dynamic)

    def function(self, node: ast.FunctionNode, *, root: bool) -> _Operand:
        spec = _functions.lookup(node.name)
        if spec is None:
            err = EvalError(f'undefined function: "{node.name}"')
            self.emit(f"_raise({self.c.constant(err)})")
            return _Operand("None", None, True)
        args: list[_Operand] = []
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
        return _Operand(out, rtype, True)


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


def _root_kind(node: ast.Node) -> str:
    while isinstance(node, ast.LambdaNode):
        node = node.expr
    if isinstance(node, ast.BinaryNode):
        return "binary"
    if isinstance(node, ast.UnaryNode):
        return "unary"
    if isinstance(node, ast.FunctionNode):
        return "function"
    return "other"


def _collect_references(node: ast.Node, out: list[str], vars: dict) -> None:
    if isinstance(node, ast.ReferenceNode):
        if node.name not in out:
            out.append(node.name)
    elif isinstance(node, ast.LambdaNode):
        _collect_references(node.expr, out, vars)
    elif isinstance(node, ast.UnaryNode):
        _collect_references(node.operand, out, vars)
    elif isinstance(node, ast.BinaryNode):
        _collect_references(node.left, out, vars)
        _collect_references(node.right, out, vars)
    elif isinstance(node, ast.FunctionNode):
        for arg in node.args:
            _collect_references(arg, out, vars)
    elif isinstance(node, ast.IdentifierNode):
        value = vars.get(node.name)
        if isinstance(value, ast.Node):
            _collect_references(value, out, vars)


# ---------------------------------------------------------------------------------------------
# The compiler and its products


class _Compiler:
    def __init__(self, node: ast.Node, vars: dict, now: Callable[[], int]) -> None:
        self.node = node
        self.vars = vars
        self.now = now
        self.consts: dict[str, object] = {}
        self.const_ids: dict[int, str] = {}
        self.refs: list[str] = []
        _collect_references(node, self.refs, vars)
        # Kapacitor's scope holds every referenced name; errors show them quoted.
        self.references_for_errors = [f'"{n}"' for n in self.refs]
        self.ref_locals: dict[str, str] = {}
        self.stateful: dict[str, str] = {}

    def constant(self, value: object) -> str:
        key = id(value)
        name = self.const_ids.get(key)
        if name is None:
            name = f"_k{len(self.consts)}"
            self.consts[name] = value
            self.const_ids[key] = name
        return name

    def ref_local(self, name: str) -> str:
        local = self.ref_locals.get(name)
        if local is None:
            local = f"_r{len(self.ref_locals)}"
            self.ref_locals[name] = local
        return local

    def function_call(self, spec: _functions.FunctionSpec) -> str:
        if spec.name == "now":
            return self.constant(make_now(self.now))
        if not spec.stateful:
            return self.constant(spec.call)
        var = self.stateful.get(spec.name)
        if var is None:
            var = f"_s{len(self.stateful)}"
            self.stateful[spec.name] = var
        return f"{var}_call"

    def preamble(self) -> list[str]:
        lines = []
        for name in self.refs:
            local = self.ref_local(name)
            if name == "time":
                lines.append(f"    {local} = _Time(_time)")
                continue
            lines.append(f"    {local} = _fields.get({name!r}, _NF)")
            lines.append(f"    if {local} is _NF:")
            lines.append(f"        {local} = _tags.get({name!r}, _M)")
            lines.append(f"    elif {name!r} in _tags:")
            lines.append(f"        raise _conflict({name!r})")
        return lines

    def build(self) -> tuple[str, dict]:
        """The source of `_factory()` and the namespace it runs in."""
        generated = []
        for name, mode in (("_eval", "eval"), ("_eval_bool", "bool"), ("_eval_scope", "scope")):
            gen = _Gen(self, mode)
            generated.append((name, mode, gen, gen.gen(self.node, root=True)))
        src = _Source()
        src.add("def _factory():")
        for fname, var in self.stateful.items():
            src.add(f"    {var} = _functions.lookup({fname!r}).new_state()")
            src.add(f"    {var}_call = {var}.call")
        for name, mode, gen, result in generated:
            params = "_scope, _typed=False" if mode == "scope" else "_time, _fields, _tags"
            src.add(f"    def {name}({params}, {_FAST_ARGS}):")
            src.add("        try:")
            if mode != "scope":
                for line in self.preamble():
                    src.add("        " + line)
            for line, context in zip(gen.lines, gen.contexts, strict=True):
                src.add("        " + line, context)
            src.lines += [
                "        " + line for line in self._result(result, require_bool=mode == "bool")
            ]
            src.add("        except Exception as _e:")
            src.add("            raise _rewrap(_e, _LINES) from None")
        src.add("    def _reset():")
        for var in self.stateful.values():
            src.add(f"        {var}.reset()")
        src.add("        return None")
        src.add("    return _eval, _eval_bool, _eval_scope, _reset")
        namespace = dict(_NAMESPACE)
        namespace.update(self.consts)
        namespace["_LINES"] = src.contexts
        return "\n".join(src.lines) + "\n", namespace

    def _result(self, result: _Operand, *, require_bool: bool) -> list[str]:
        if not require_bool or result.stype is bool:
            return [f"    return {result.code}"]
        return [
            f"    _res = {result.code}",
            "    if _res is True or _res is False:",
            "        return _res",
            f"    raise _type_guard_error({_root_kind(self.node)!r}, 'bool', _res)",
        ]


class _Source:
    """Generated source lines, remembering the error context of each line by its number."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.contexts: dict[int, tuple[tuple[int, ...], str | None]] = {}

    def add(self, line: str, context: tuple[tuple[int, ...], str | None] | None = None) -> None:
        self.lines.append(line)
        if context is not None and (context[0] or context[1] is not None):
            self.contexts[len(self.lines)] = context


# The helpers generated code refers to.
_NAMESPACE = {
    "_functions": _functions,
    "_get": _get,
    "_raise": _raise,
    "_conflict": _conflict,
    "_binary_slow": _binary_slow,
    "_binary_error": _ops.binary_error,
    "_unary": _ops.unary,
    "_rewrap": _rewrap,
    "_type_guard_error": type_guard_error,
    "_EvalError": EvalError,
    "_NOT_FOUND": _NOT_FOUND,
    "_MISSING": MISSING,
    "_Time": Time,
    "_Duration": Duration,
    "_fdiv": _ops.fdiv,
    "_idiv": _ops.idiv,
    "_imod": _ops.imod,
    "_wrap64": _ops.wrap64,
}


class ExpressionInstance:
    """One evaluation context of a compiled expression, with its own stateful-function state.

    `eval(time, fields, tags)` returns the value; `eval_bool(...)` requires a boolean;
    `eval_scope(scope, as_type='any')` evaluates against an explicit name -> value scope;
    `reset()` clears the state of `count()`, `sigma()` and `spread()`.
    """

    __slots__ = ("eval", "eval_bool", "_eval_scope", "reset", "_root_kind")

    def __init__(self, closures: tuple, root_kind: str) -> None:
        self.eval, self.eval_bool, self._eval_scope, self.reset = closures
        self._root_kind = root_kind

    def eval_scope(self, scope: dict, as_type: str = "any") -> object:
        """Evaluate with the names in `scope` (absent names and nil values are errors, as in Kapacitor)."""
        value = self._eval_scope(scope, as_type != "any")
        return check_result(self._root_kind, as_type, value)


class CompiledExpression:
    """A lambda compiled once; `instance()` gives an evaluation context with fresh state."""

    __slots__ = ("node", "references", "source", "_factory", "_shared", "_root_kind", "stateful")

    def __init__(
        self,
        node: ast.Node,
        references: list[str],
        source: str,
        factory: Callable[[], object],
        stateful: bool,
    ) -> None:
        self.node = node
        self.references = references
        self.source = source
        self._factory = factory
        self.stateful = stateful
        self._root_kind = _root_kind(node)
        self._shared = None if stateful else factory()

    def instance(self) -> ExpressionInstance:
        closures = self._shared if self._shared is not None else self._factory()
        return ExpressionInstance(closures, self._root_kind)

    def __repr__(self) -> str:
        return f"CompiledExpression(references={self.references!r})"


def compile_expression(
    node: ast.Node,
    vars: dict | None = None,
    *,
    now: Callable[[], int] | None = None,
) -> CompiledExpression:
    """Compile a lambda body (or `LambdaNode`) into generated Python code.

    `vars` maps identifiers used in the lambda to their values (or to lambda nodes, inlined).
    Raises `TickError` when the expression is invalid whatever the point (constant type errors).
    """
    try:
        compiler = _Compiler(node, dict(vars or {}), now or _functions.wall_clock_ns)
        source, namespace = compiler.build()
        code = compile(source, "<lambda>", "exec")
    except (RecursionError, SyntaxError, MemoryError):
        raise TickError("lambda expression is too deeply nested to compile") from None
    exec(code, namespace)
    return CompiledExpression(
        node, list(compiler.refs), source, namespace["_factory"], bool(compiler.stateful)
    )
