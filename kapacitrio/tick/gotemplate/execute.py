"""Execution-time closures: variables, control flow (if/with/range) and field lookup."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kapacitrio.tick.gotemplate.errors import TemplateError
from kapacitrio.tick.gotemplate.formatting import go_str, go_type
from kapacitrio.tick.gotemplate.functions import truth
from kapacitrio.tick.gotemplate.gotypes import NO_VALUE, GoStruct
from kapacitrio.tick.gotemplate.timemethods import _methods_of

# Compiled forms:
#   value function: (dot, vars) -> value
#   list function:  (dot, vars, out) -> None   (appends rendered text)
_ValueFn = Callable[[Any, list], Any]
_ListFn = Callable[[Any, list, list], None]


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


def _lookup_field(v: Any, name: str, where: str) -> Any:
    if isinstance(v, GoStruct):
        if name in v:
            return v[name]
        raise TemplateError(f"{where}: can't evaluate field {name} in type {v.type_name}")
    if isinstance(v, dict):
        return v.get(name, NO_VALUE)
    methods = _methods_of(v)
    if methods is not None and name in methods:
        try:
            return methods[name](v)
        except TypeError:
            raise TemplateError(f"{where}: wrong number of args for {name}") from None
    if v is None or v is NO_VALUE:
        raise TemplateError(f"{where}: nil pointer evaluating interface {{}}.{name}")
    raise TemplateError(f"{where}: can't evaluate field {name} in type {go_type(v)}")


NO_PIPE = object()


def _strip(e: TemplateError) -> str:
    text = str(e)
    return text.split(": ", 1)[1] if text.startswith("template:") and ": " in text else text


def _var_fn(vname: str, tname: str) -> _ValueFn:
    def get(dot: Any, vars: list) -> Any:
        for n, v in reversed(vars):
            if n == vname:
                return v
        raise TemplateError(f'template: {tname}: undefined variable "{vname}"')

    return get


def _declare(vars: list, decls: tuple[str, list[str]], value: Any) -> None:
    kind, names = decls
    if kind == "decl":
        vars.append((names[0], value))
        return
    for idx in range(len(vars) - 1, -1, -1):
        if vars[idx][0] == names[0]:
            vars[idx] = (names[0], value)
            return
    raise TemplateError(f'undefined variable "{names[0]}"')


def _text_fn(text: str) -> _ListFn:
    def f(dot: Any, vars: list, out: list) -> None:
        out.append(text)

    return f


def _seq(parts: list[_ListFn]) -> _ListFn:
    if len(parts) == 1:
        return parts[0]

    def f(dot: Any, vars: list, out: list) -> None:
        for p in parts:
            p(dot, vars, out)

    return f


def _if_fn(pipe: _ValueFn, decls: Any, body: _ListFn, else_fn: _ListFn | None) -> _ListFn:
    return _branch_fn(pipe, decls, body, else_fn, rebind_dot=False)


def _with_fn(pipe: _ValueFn, decls: Any, body: _ListFn, else_fn: _ListFn | None) -> _ListFn:
    return _branch_fn(pipe, decls, body, else_fn, rebind_dot=True)


def _branch_fn(
    pipe: _ValueFn, decls: Any, body: _ListFn, else_fn: _ListFn | None, *, rebind_dot: bool
) -> _ListFn:
    """`if` and `with`: run `body` when the pipeline's value is true (`with` makes it the dot)."""

    def f(dot: Any, vars: list, out: list) -> None:
        mark = len(vars)
        v = pipe(dot, vars)
        if decls:
            _declare(vars, decls, v)
        if truth(v):
            body(v if rebind_dot else dot, vars, out)
        elif else_fn is not None:
            else_fn(dot, vars, out)
        del vars[mark:]

    return f


def _range_fn(pipe: _ValueFn, decls: Any, body: _ListFn, else_fn: _ListFn | None) -> _ListFn:
    names = decls[1] if decls else []

    def f(dot: Any, vars: list, out: list) -> None:
        mark = len(vars)
        v = pipe(dot, vars)
        if isinstance(v, dict):
            items = [(k, v[k]) for k in sorted(v)]
        elif isinstance(v, list | tuple):
            items = list(enumerate(v))
        elif isinstance(v, int) and not isinstance(v, bool):
            items = [(i, i) for i in range(v)]
        elif v is None or v is NO_VALUE:
            items = []
        else:
            raise TemplateError(f"range can't iterate over {go_str(v)}")
        if not items:
            if else_fn is not None:
                else_fn(dot, vars, out)
            return
        for key, elem in items:
            del vars[mark:]
            if len(names) == 1:
                vars.append((names[0], elem))
            elif len(names) == 2:
                vars.append((names[0], key))
                vars.append((names[1], elem))
            try:
                body(elem, vars, out)
            except _Continue:
                continue
            except _Break:
                break
        del vars[mark:]

    return f
