"""The lambda compiler: turns a lambda's syntax tree into generated Python code, compiled once.

Each expression becomes the source of a factory function; calling the factory makes a fresh set of
stateful-function objects and the closures that evaluate the expression against a point
(`eval`, `eval_bool`) or against an explicit scope (`eval_scope`, used by the conformance corpus).
Types are checked at run time on every evaluation, with inline fast paths for the common ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from kapacitrio.tick import ast
from kapacitrio.tick import functions as _functions
from kapacitrio.tick import operators as _ops
from kapacitrio.tick.errors import EvalError, TickError
from kapacitrio.tick.functions_other import make_now
from kapacitrio.tick.lambda_codegen import (
    FAST_ARGS,
    Gen,
    Operand,
    Source,
    collect_references,
    root_kind,
)
from kapacitrio.tick.values import (
    MISSING,
    Duration,
    Time,
    type_name,
)

__all__ = ["compile_expression", "CompiledExpression", "ExpressionInstance", "type_guard_error"]

_Pattern = re.Pattern

_NOT_FOUND = object()


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
# The compiler and its products


class Compiler:
    """Compiles one expression: its constants, referenced names and stateful functions."""

    def __init__(self, node: ast.Node, vars: dict, now: Callable[[], int]) -> None:
        self.node = node
        self.vars = vars
        self.now = now
        self.consts: dict[str, object] = {}
        self.const_ids: dict[int, str] = {}
        self.refs: list[str] = []
        collect_references(node, self.refs, vars)
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
            gen = Gen(self, mode)
            generated.append((name, mode, gen, gen.gen(self.node, root=True)))
        src = Source()
        src.add("def _factory():")
        for fname, var in self.stateful.items():
            src.add(f"    {var} = _functions.lookup({fname!r}).new_state()")
            src.add(f"    {var}_call = {var}.call")
        for name, mode, gen, result in generated:
            params = "_scope, _typed=False" if mode == "scope" else "_time, _fields, _tags"
            src.add(f"    def {name}({params}, {FAST_ARGS}):")
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
        states = ", ".join(f"{fname!r}: {var}" for fname, var in self.stateful.items())
        src.add(f"    return _eval, _eval_bool, _eval_scope, _reset, {{{states}}}")
        namespace = dict(_NAMESPACE)
        namespace.update(self.consts)
        namespace["_LINES"] = src.contexts
        return "\n".join(src.lines) + "\n", namespace

    def _result(self, result: Operand, *, require_bool: bool) -> list[str]:
        if not require_bool or result.stype is bool:
            return [f"    return {result.code}"]
        return [
            f"    _res = {result.code}",
            "    if _res is True or _res is False:",
            "        return _res",
            f"    raise _type_guard_error({root_kind(self.node)!r}, 'bool', _res)",
        ]


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
    `reset()` clears the state of `count()`, `sigma()` and `spread()`; `dump_state()` and
    `load_state()` carry that state over to another instance (a moved task).
    """

    __slots__ = ("eval", "eval_bool", "_eval_scope", "reset", "states", "root_kind")

    def __init__(self, closures: tuple, root_kind: str) -> None:
        self.eval, self.eval_bool, self._eval_scope, self.reset, self.states = closures
        self.root_kind = root_kind

    def dump_state(self) -> dict[str, list] | None:
        """The state of each stateful function by name (JSON-ready); None when there is none."""
        return {name: st.dump() for name, st in self.states.items()} or None

    def check_state(self, data: dict[str, list] | None) -> None:
        """ValueError when `data` is not what `dump_state` gives for this expression."""
        data = data or {}
        if not isinstance(data, dict) or set(data) != set(self.states):
            raise ValueError("the expression's stateful functions differ")
        for name, st in self.states.items():
            st.check(data[name])

    def load_state(self, data: dict[str, list] | None) -> None:
        """Take back what `dump_state` gave (all or nothing: ValueError on a shape it does not
        know, with no state changed)."""
        self.check_state(data)
        for name, st in self.states.items():
            st.load((data or {})[name])

    def eval_scope(self, scope: dict, as_type: str = "any") -> object:
        """Evaluate with the names in `scope` (absent names and nil values are errors, as in Kapacitor)."""
        value = self._eval_scope(scope, as_type != "any")
        return check_result(self.root_kind, as_type, value)


class CompiledExpression:
    """A lambda compiled once; `instance()` gives an evaluation context with fresh state."""

    __slots__ = ("node", "references", "source", "_factory", "_shared", "root_kind", "stateful")

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
        self.root_kind = root_kind(node)
        self._shared = None if stateful else factory()

    def instance(self) -> ExpressionInstance:
        closures = self._shared if self._shared is not None else self._factory()
        return ExpressionInstance(closures, self.root_kind)

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
        compiler = Compiler(node, dict(vars or {}), now or _functions.wall_clock_ns)
        source, namespace = compiler.build()
        code = compile(source, "<lambda>", "exec")
    except (RecursionError, SyntaxError, MemoryError):
        raise TickError("lambda expression is too deeply nested to compile") from None
    exec(code, namespace)
    return CompiledExpression(
        node, list(compiler.refs), source, namespace["_factory"], bool(compiler.stateful)
    )
