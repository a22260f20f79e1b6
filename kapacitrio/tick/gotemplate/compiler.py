"""Parses template text and compiles it into execution closures."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from kapacitrio.tick.gotemplate.errors import TemplateError
from kapacitrio.tick.gotemplate.escape import html_escape
from kapacitrio.tick.gotemplate.execute import (
    NO_PIPE,
    _Break,
    _Continue,
    _declare,
    _if_fn,
    _ListFn,
    _lookup_field,
    _range_fn,
    _seq,
    _strip,
    _text_fn,
    _ValueFn,
    _var_fn,
    _with_fn,
)
from kapacitrio.tick.gotemplate.formatting import go_str
from kapacitrio.tick.gotemplate.gotypes import GoStruct
from kapacitrio.tick.gotemplate.lexer import _lex_action, _Tok
from kapacitrio.tick.gotemplate.timemethods import _methods_of

_KEYWORDS = {
    "if",
    "else",
    "end",
    "range",
    "with",
    "define",
    "template",
    "block",
    "break",
    "continue",
}


def _unquote(text: str, kind: str) -> str:
    if kind == "raw":
        return text[1:-1]
    body = text[1:-1]
    try:
        return body.encode("latin-1", "backslashreplace").decode("unicode_escape")
    except UnicodeDecodeError:
        return body


def _number(text: str) -> int | float:
    t = text.replace("_", "")
    if re.fullmatch(r"[-+]?0[xX][0-9a-fA-F]+", t):
        return int(t, 16)
    if re.fullmatch(r"[-+]?\d+", t):
        return int(t)
    return float(t)


class _Compiler:
    """Parses the template text and builds closures."""

    def __init__(self, name: str, text: str, html: bool, funcs: dict[str, Callable[..., Any]]):
        self.name = name
        self.text = text
        self.html = html
        self.funcs = funcs
        self.items = self._split(text)
        self.pos = 0
        self.line = 1

    def err(self, msg: str) -> TemplateError:
        return TemplateError(f"template: {self.name}:{self.line}: {msg}")

    # -- splitting text and actions
    def _split(self, text: str) -> list[tuple[str, str, int]]:
        items: list[tuple[str, str, int]] = []
        pos = 0
        line = 1
        trim_next = False
        while True:
            start = text.find("{{", pos)
            if start < 0:
                chunk = text[pos:]
                if trim_next:
                    chunk = chunk.lstrip(" \t\r\n")
                if chunk:
                    items.append(("text", chunk, line))
                break
            chunk = text[pos:start]
            inner_start = start + 2
            trim_left = (
                text.startswith("- ", inner_start)
                or text.startswith("-\t", inner_start)
                or text.startswith("-\n", inner_start)
            )
            if trim_left:
                inner_start += 1
            if trim_next:
                chunk = chunk.lstrip(" \t\r\n")
            if trim_left:
                chunk = chunk.rstrip(" \t\r\n")
            if chunk:
                items.append(("text", chunk, line))
            line += text.count("\n", pos, start)
            # find the end, honouring quotes and comments
            end = self._find_close(text, inner_start, line)
            inner = text[inner_start:end]
            trim_next = False
            if inner.endswith(" -") or inner.endswith("\t-") or inner.endswith("\n-"):
                inner = inner[:-1]
                trim_next = True
            stripped = inner.strip()
            if not (stripped.startswith("/*") and stripped.endswith("*/")):
                items.append(("action", inner, line))
            line += text.count("\n", start, end + 2)
            pos = end + 2
        return items

    def _find_close(self, text: str, pos: int, line: int) -> int:
        i = pos
        n = len(text)
        if text.startswith("/*", i) or text.lstrip().startswith("/*"):
            j = text.find("*/", i)
            if j >= 0:
                k = text.find("}}", j)
                if k >= 0:
                    return k
        while i < n:
            c = text[i]
            if c in "\"'`":
                j = i + 1
                while j < n and text[j] != c:
                    if text[j] == "\\" and c != "`":
                        j += 1
                    j += 1
                i = j + 1
                continue
            if text.startswith("}}", i):
                return i
            i += 1
        self.line = line
        raise self.err("unclosed action")

    # -- structure
    def compile(self) -> _ListFn:
        body, term = self._list()
        if term is not None:
            raise self.err(f"unexpected {{{{{term[0]}}}}}")
        return body

    def _list(self) -> tuple[_ListFn, tuple[str, list[_Tok]] | None]:
        """Parse items until `end`/`else`; returns the list and the terminating keyword."""
        parts: list[_ListFn] = []
        while self.pos < len(self.items):
            kind, text, line = self.items[self.pos]
            self.line = line
            self.pos += 1
            if kind == "text":
                parts.append(_text_fn(text))
                continue
            toks = _lex_action(text, self.err)
            if not toks:
                raise self.err("missing value for command")
            head = toks[0]
            if head.kind == "ident" and head.text in ("end", "else"):
                return _seq(parts), (head.text, toks[1:])
            if head.kind == "ident" and head.text in ("if", "range", "with"):
                parts.append(self._block(head.text, toks[1:]))
                continue
            if head.kind == "ident" and head.text in ("break", "continue"):
                exc = _Break if head.text == "break" else _Continue

                def brk(dot: Any, vars: list, out: list, exc: type = exc) -> None:
                    raise exc()

                parts.append(brk)
                continue
            if head.kind == "ident" and head.text in ("define", "template", "block"):
                raise self.err(f"{head.text} is not supported")
            parts.append(self._action(toks))
        return _seq(parts), None

    def _block(self, kw: str, toks: list[_Tok]) -> _ListFn:
        pipe, decls = self._pipeline(toks, allow_decl=True, range_decl=(kw == "range"))
        body, term = self._list()
        else_fn: _ListFn | None = None
        if term is None:
            raise self.err(f"unexpected EOF in {kw}")
        if term[0] == "else":
            rest = term[1]
            if rest and rest[0].kind == "ident" and rest[0].text in ("if", "with"):
                # `else if` / `else with`: a nested block that shares our `end`
                else_fn = self._block(rest[0].text, rest[1:])
            else:
                if rest:
                    raise self.err("unexpected tokens after else")
                else_fn, term2 = self._list()
                if term2 is None or term2[0] != "end":
                    raise self.err(f"expected end; found {term2[0] if term2 else 'EOF'}")
        elif term[1]:
            raise self.err("unexpected tokens after end")
        if kw == "if":
            return _if_fn(pipe, decls, body, else_fn)
        if kw == "with":
            return _with_fn(pipe, decls, body, else_fn)
        return _range_fn(pipe, decls, body, else_fn)

    def _action(self, toks: list[_Tok]) -> _ListFn:
        pipe, decls = self._pipeline(toks, allow_decl=True)
        html = self.html
        if decls:

            def run(dot: Any, vars: list, out: list) -> None:
                _declare(vars, decls, pipe(dot, vars))

            return run

        def emit(dot: Any, vars: list, out: list) -> None:
            v = pipe(dot, vars)
            text = go_str(v)
            out.append(html_escape(text) if html else text)

        return emit

    # -- pipelines
    def _pipeline(
        self, toks: list[_Tok], allow_decl: bool = False, range_decl: bool = False
    ) -> tuple[_ValueFn, tuple[str, list[str]] | None]:
        decls: tuple[str, list[str]] | None = None
        if allow_decl and toks and toks[0].kind == "var":
            names = [toks[0].text]
            i = 1
            if range_decl and len(toks) > 2 and toks[1].kind == "comma" and toks[2].kind == "var":
                names.append(toks[2].text)
                i = 3
            if i < len(toks) and toks[i].kind in ("decl", "assign"):
                decls = (toks[i].kind, names)
                toks = toks[i + 1 :]
        if not toks:
            raise self.err("missing value for command")
        cmds: list[list[_Tok]] = [[]]
        depth = 0
        for t in toks:
            if t.kind == "lparen":
                depth += 1
            elif t.kind == "rparen":
                depth -= 1
            if t.kind == "pipe" and depth == 0:
                cmds.append([])
            else:
                cmds[-1].append(t)
        compiled = [self._command(c, i > 0) for i, c in enumerate(cmds)]
        if len(compiled) == 1:
            only = compiled[0]
            return (lambda dot, vars: only(dot, vars, NO_PIPE)), decls

        def pipeline(dot: Any, vars: list) -> Any:
            v: Any = NO_PIPE
            for c in compiled:
                v = c(dot, vars, v)
            return v

        return pipeline, decls

    def _command(self, toks: list[_Tok], piped: bool) -> Callable[[Any, list, Any], Any]:
        if not toks:
            raise self.err("missing value for command")
        args, rest = self._operands(toks)
        if rest:
            raise self.err(f"unexpected {rest[0].text!r} in operand")
        head_tok = toks[0]
        where = f'executing "{self.name}" at <{head_tok.text}>'
        if head_tok.kind == "ident" and head_tok.text not in ("true", "false", "nil"):
            fname = head_tok.text
            fn = self.funcs.get(fname)
            if fn is None:
                raise self.err(f'function "{fname}" not defined')
            argfns = args[1:]
            name = self.name

            def call(dot: Any, vars: list, prev: Any) -> Any:
                vals = [a(dot, vars) for a in argfns]
                if prev is not NO_PIPE:
                    vals.append(prev)
                try:
                    return fn(*vals)
                except TemplateError as e:
                    raise TemplateError(
                        f'template: {name}: executing "{name}" at <{fname}>: error calling {fname}: {_strip(e)}'
                    ) from None
                except (TypeError, IndexError):
                    raise TemplateError(
                        f'template: {name}: executing "{name}" at <{fname}>: wrong number of args for {fname}'
                    ) from None
                except (ValueError, KeyError, AttributeError, OverflowError) as e:
                    raise TemplateError(
                        f'template: {name}: executing "{name}" at <{fname}>: error calling {fname}: {e}'
                    ) from None

            return call
        if head_tok.kind in ("field", "var") and (len(args) > 1 or piped):
            method = self._method_call(toks, args[1:], where)
            if method is not None:
                return method
        if len(args) > 1:
            raise self.err(f"can't give argument to non-function {head_tok.text}")
        value = args[0]
        name = self.name

        def val(dot: Any, vars: list, prev: Any) -> Any:
            if prev is not NO_PIPE:
                raise TemplateError(
                    f"template: {name}: {where}: can't give argument to non-function {head_tok.text}"
                )
            return value(dot, vars)

        return val

    def _method_call(
        self, toks: list[_Tok], argfns: list[_ValueFn], where: str
    ) -> Callable[[Any, list, Any], Any] | None:
        """`.Time.Format "2006"`: a method of the value before the chain's last name, with args."""
        head = toks[0]
        if head.kind == "field":
            chain = head.text
            base: _ValueFn = lambda dot, vars: dot  # noqa: E731
        elif len(toks) > 1 and toks[1].kind == "chain":
            chain = toks[1].text
            base = _var_fn(head.text, self.name)
        else:
            return None
        recv_chain, _, mname = chain.rpartition(".")
        recv = self._chain(base, recv_chain) if recv_chain else base
        tname = self.name

        def call(dot: Any, vars: list, prev: Any) -> Any:
            r = recv(dot, vars)
            methods = _methods_of(r)
            if methods is None or mname not in methods:
                raise TemplateError(
                    f"template: {tname}: {where}: can't give argument to non-function {chain}"
                )
            vals = [a(dot, vars) for a in argfns]
            if prev is not NO_PIPE:
                vals.append(prev)
            try:
                return methods[mname](r, *vals)
            except TypeError:
                raise TemplateError(
                    f"template: {tname}: {where}: wrong number of args for {mname}"
                ) from None

        return call

    def _operands(self, toks: list[_Tok]) -> tuple[list[_ValueFn], list[_Tok]]:
        out: list[_ValueFn] = []
        i = 0
        while i < len(toks):
            t = toks[i]
            if t.kind == "rparen":
                break
            fn, i = self._operand(toks, i)
            out.append(fn)
        return out, toks[i:]

    def _operand(self, toks: list[_Tok], i: int) -> tuple[_ValueFn, int]:
        t = toks[i]
        name = self.name
        k = t.kind
        if k == "field":
            return self._chain(lambda dot, vars: dot, t.text), i + 1
        if k == "dot":
            return (lambda dot, vars: dot), i + 1
        if k == "var":
            vname = t.text
            base = _var_fn(vname, name)
            if i + 1 < len(toks) and toks[i + 1].kind == "chain":
                return self._chain(base, toks[i + 1].text), i + 2
            return base, i + 1
        if k in ("str", "raw"):
            s = _unquote(t.text, k)
            return (lambda dot, vars: s), i + 1
        if k == "char":
            c = _unquote(t.text, "str")
            code = ord(c[0]) if c else 0
            return (lambda dot, vars: code), i + 1
        if k == "num":
            try:
                n = _number(t.text)
            except ValueError:
                raise self.err(f"bad number syntax: {t.text!r}") from None
            return (lambda dot, vars: n), i + 1
        if k == "ident":
            if t.text == "true":
                return (lambda dot, vars: True), i + 1
            if t.text == "false":
                return (lambda dot, vars: False), i + 1
            if t.text == "nil":
                return (lambda dot, vars: None), i + 1
            if t.text in _KEYWORDS:
                raise self.err(f"unexpected <{t.text}> in command")
            # a function used as an argument with no args of its own
            fn = self.funcs.get(t.text)
            if fn is None:
                raise self.err(f'function "{t.text}" not defined')
            fname, tname = t.text, self.name

            def call0(dot: Any, vars: list) -> Any:
                try:
                    return fn()
                except (TypeError, IndexError):
                    raise TemplateError(
                        f'template: {tname}: executing "{tname}" at <{fname}>: wrong number of args for {fname}'
                    ) from None

            return call0, i + 1
        if k == "lparen":
            depth = 0
            j = i
            while j < len(toks):
                if toks[j].kind == "lparen":
                    depth += 1
                elif toks[j].kind == "rparen":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            if j >= len(toks):
                raise self.err("unclosed left paren")
            inner, _ = self._pipeline(toks[i + 1 : j])
            if j + 1 < len(toks) and toks[j + 1].kind == "chain":
                return self._chain(inner, toks[j + 1].text), j + 2
            return inner, j + 1
        raise self.err(f"unexpected {t.text!r} in operand")

    def _chain(self, base: _ValueFn, chain: str) -> _ValueFn:
        names = chain.split(".")[1:]
        where = f'template: {self.name}: executing "{self.name}" at <{chain}>'

        if len(names) == 1:
            n0 = names[0]

            def one(dot: Any, vars: list) -> Any:
                v = base(dot, vars)
                if type(v) is GoStruct and n0 in v:
                    return v[n0]
                return _lookup_field(v, n0, where)

            return one

        def many(dot: Any, vars: list) -> Any:
            v = base(dot, vars)
            for n in names:
                v = _lookup_field(v, n, where)
            return v

        return many
