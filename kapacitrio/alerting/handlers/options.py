"""A handler kind's option table: one declaration gives validation, templates and TICKscript props.

Topic-handler options are decoded the way Kapacitor's mapstructure decoder does it: names match
exactly or else case-insensitively, unknown names and values of the wrong type are errors, and
every error of one decoding is reported together in Kapacitor's words.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kapacitrio.alerting.handlers.base import HandlerOptionError
from kapacitrio.tick.gotemplate import Template, TemplateError

STRING = "string"
BOOL = "bool"
INT = "int"
FLOAT = "float"
DURATION = "duration"
STRINGS = "strings"
MAP = "map"
LIST = "list"
ANY = "any"

#: Go type of each option type, as Kapacitor's decoding errors name it.
GO_TYPES = {
    STRING: "string",
    BOOL: "bool",
    INT: "int64",
    FLOAT: "float64",
    DURATION: "time.Duration",
    STRINGS: "[]string",
    MAP: "map[string]interface {}",
    LIST: "[]map[string]interface {}",
    ANY: "interface {}",
}

_ZERO: dict[str, Any] = {STRING: "", BOOL: False, INT: 0, FLOAT: 0.0, DURATION: 0, STRINGS: []}
_ZERO.update({MAP: {}, LIST: [], ANY: None})

#: How a TICKscript property stores its value: a plain field `.x(v)`, a flag `.x()`, a list that a
#: call replaces, a list that calls extend, or repeated `.x(key, value)` pairs.
FIELD, FLAG, SETLIST, ADDLIST, KEYVALUE, NOTICK = "field", "flag", "setlist", "addlist", "kv", ""

Convert = Callable[[Any], Any]
Apply = Callable[[dict[str, Any], list[Any]], "str | None"]


class DecodeError(ValueError):
    """One decoding problem, worded as Kapacitor's decoder words it."""


@dataclass(frozen=True)
class TickProp:
    """A TICKscript property method of a handler (the pipeline turns it into its own `Prop`)."""

    name: str
    params: tuple[str, ...]
    default: Any = None
    field: bool = False
    apply: Apply | None = None
    key: str | None = None


@dataclass(frozen=True)
class Opt:
    """One option of a handler kind.

    `name` is the topic-handler option (and YAML key); `aliases` are other names accepted for it.
    `templated` options are Go templates compiled when the handler is defined and rendered per
    event. `tick` names the TICKscript property (None: the camelCase of `name`; "" for none) and
    `tick_as` how it stores (default by type). `convert` checks or normalises a decoded value,
    raising ValueError with the message the user sees.
    """

    name: str
    type: str = STRING
    default: Any = None
    templated: bool = False
    tick: str | None = None
    tick_as: str | None = None
    aliases: tuple[str, ...] = ()
    convert: Convert | None = None
    tick_params: tuple[str, ...] = ()
    tick_apply: Apply | None = None
    topic: bool = True

    def zero(self) -> Any:
        return copy.deepcopy(_ZERO[self.type] if self.default is None else self.default)

    @property
    def tick_name(self) -> str:
        return camel(self.name) if self.tick is None else self.tick

    def tick_prop(self) -> TickProp | None:
        """The TICKscript property this option is set by, if any."""
        name = self.tick_name
        if not name:
            return None
        how = self.tick_as
        if how is None:
            how = {BOOL: FLAG, STRINGS: SETLIST, MAP: KEYVALUE}.get(self.type, FIELD)
        if how == NOTICK:
            return None
        key = self.name if self.name != name else None  # props are stored by option name
        store = key or name
        if self.tick_apply is not None:
            return TickProp(name, self.tick_params, self.zero(), apply=self.tick_apply, key=key)
        if how == FIELD:
            params = self.tick_params or (_TICK_TYPES[self.type],)
            return TickProp(name, params, _tick_zero(self), field=True, key=key)
        if how == FLAG:
            return TickProp(name, (), False, key=key)
        if how in (SETLIST, ADDLIST):
            apply = _setlist(store, how == ADDLIST)
            return TickProp(name, ("...string",), [], apply=apply, key=key)
        if how == KEYVALUE:
            params = self.tick_params or ("string", "any")
            return TickProp(name, params, {}, apply=_keyvalue(store), key=store)
        raise ValueError(f"unknown tick_as {how!r} for option {self.name!r}")


_TICK_TYPES = {STRING: "string", INT: "int", FLOAT: "float", DURATION: "duration", BOOL: "bool"}
_TICK_TYPES.update({ANY: "any"})


def _tick_zero(opt: Opt) -> Any:
    if opt.type == DURATION:
        from kapacitrio.tick.values import Duration

        return Duration(int(opt.default or 0))
    return opt.zero()


def _setlist(name: str, extend: bool) -> Apply:
    def apply(props: dict[str, Any], args: list[Any]) -> None:
        if extend:
            props[name].extend(args)
        else:
            props[name] = list(args)

    return apply


def _keyvalue(name: str) -> Apply:
    def apply(props: dict[str, Any], args: list[Any]) -> None:
        props[name][args[0]] = args[1]

    return apply


def camel(name: str) -> str:
    """`channel-url` -> `channelUrl` (the TICKscript spelling of most options)."""
    head, *rest = name.split("-")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def go_type_of(value: Any) -> str:
    """The Go type a JSON value decodes to, as Kapacitor's errors name it."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "[]interface {}"
    if isinstance(value, dict):
        return "map[string]interface {}"
    return type(value).__name__


def go_value(value: Any) -> str:
    """A value as Go's `%v` prints it (in decoding errors)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if isinstance(value, list):
        return "[" + " ".join(go_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_value(v)}" for k, v in sorted(value.items())) + "]"
    return str(value)


def _unconvertible(name: str, gotype: str, value: Any) -> DecodeError:
    return DecodeError(
        f"'{name}' expected type '{gotype}', got unconvertible type "
        f"'{go_type_of(value)}', value: '{go_value(value)}'"
    )


def coerce(opt: Opt, name: str, value: Any) -> Any:
    """One option value checked and converted for its type; DecodeError when it does not fit."""
    t = opt.type
    if t == ANY:
        return value
    if t == STRING:
        if not isinstance(value, str):
            raise _unconvertible(name, "string", value)
        return value
    if t == BOOL:
        if not isinstance(value, bool):
            raise _unconvertible(name, "bool", value)
        return value
    if t in (INT, FLOAT):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _unconvertible(name, GO_TYPES[t], value)
        if isinstance(value, float) and not math.isfinite(value):
            raise _unconvertible(name, GO_TYPES[t], value)
        return int(value) if t == INT else float(value)
    if t == DURATION:
        return _duration(name, value)
    if t == STRINGS:
        if not isinstance(value, list):
            raise DecodeError(
                f"'{name}': source data must be an array or slice, got {_kind(value)}"
            )
        for i, v in enumerate(value):
            if not isinstance(v, str):
                raise _unconvertible(f"{name}[{i}]", "string", v)
        return list(value)
    if t == MAP:
        if not isinstance(value, dict):
            raise DecodeError(f"'{name}' expected a map, got '{_kind(value)}'")
        return dict(value)
    if t == LIST:
        if not isinstance(value, list):
            raise DecodeError(
                f"'{name}': source data must be an array or slice, got {_kind(value)}"
            )
        for i, v in enumerate(value):
            if not isinstance(v, dict):
                raise DecodeError(f"'{name}[{i}]' expected a map, got '{_kind(v)}'")
        return [dict(v) for v in value]
    raise ValueError(f"unknown option type {t!r}")


def _kind(value: Any) -> str:
    """Go's reflect.Kind name of a JSON value."""
    return {
        "bool": "bool",
        "float64": "float64",
        "string": "string",
        "[]interface {}": "slice",
        "map[string]interface {}": "map",
    }.get(go_type_of(value), go_type_of(value))


def _duration(name: str, value: Any) -> int:
    from kapacitrio.tick.values import parse_decimal_duration

    if isinstance(value, bool):
        raise _unconvertible(name, "time.Duration", value)
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise _unconvertible(name, "time.Duration", value)
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text == "0":
            return 0
        try:
            return parse_decimal_duration(text)
        except ValueError:
            raise DecodeError(
                f"error decoding '{name}': time: invalid duration \"{value}\""
            ) from None
    raise _unconvertible(name, "time.Duration", value)


class Values(dict):
    """Decoded options by their canonical name, with the compiled templates of templated ones."""

    def __init__(self, values: dict[str, Any], templates: dict[str, Any]) -> None:
        super().__init__(values)
        self.templates = templates

    def render(self, name: str, data: Any) -> Any:
        """A templated option rendered for one event (same shape: text, list or map)."""
        tmpl = self.templates.get(name)
        if tmpl is None:
            return self[name]
        if isinstance(tmpl, Template):
            return tmpl.render(data)
        if isinstance(tmpl, list):
            return [t.render(data) if isinstance(t, Template) else t for t in tmpl]
        return {k: t.render(data) if isinstance(t, Template) else t for k, t in tmpl.items()}


def _compile(name: str, value: Any) -> Any:
    try:
        if isinstance(value, str):
            return Template(value, name=name)
        if isinstance(value, list):
            return [Template(v, name=name) if isinstance(v, str) else v for v in value]
        if isinstance(value, dict):
            return {
                k: Template(v, name=name) if isinstance(v, str) else v for k, v in value.items()
            }
    except TemplateError as exc:
        raise HandlerOptionError(str(exc)) from None
    return value


@dataclass(frozen=True)
class Table:
    """The options of one handler kind; `go_config` names its Go handler config in errors."""

    go_config: str
    opts: tuple[Opt, ...]

    def names(self) -> list[str]:
        return [o.name for o in self.opts if o.topic]

    def defaults(self) -> dict[str, Any]:
        return {o.name: o.zero() for o in self.opts if o.topic}

    def decode(self, options: Any, *, inline: bool = False) -> Values:
        """Check topic-handler options; HandlerOptionError with Kapacitor's text on any problem.

        `inline` options come from a TICKscript handler and may also set the TICKscript-only ones.
        """
        if options is None:
            options = {}
        if not isinstance(options, dict):
            raise HandlerOptionError("options must be an object")
        values, errors, used, used_opts = {}, [], set(), set()
        for opt in self.opts:
            key = self._find(opt, options) if opt.topic or inline else None
            if key is None:
                values[opt.name] = opt.zero()
                continue
            used.add(key)
            raw = options[key]
            if raw is None:
                values[opt.name] = opt.zero()
                continue
            try:
                values[opt.name] = coerce(opt, opt.name, raw)
                if opt.convert is not None:
                    values[opt.name] = opt.convert(values[opt.name])
                used_opts.add(opt.name)
            except DecodeError as exc:
                errors.append(str(exc))
            except ValueError as exc:
                raise HandlerOptionError(str(exc)) from None
        unused = sorted(k for k in options if k not in used)
        if unused:
            errors.append(f"'' has invalid keys: {', '.join(unused)}")
        if errors:
            points = "\n".join(sorted(f"* {e}" for e in errors))
            raise HandlerOptionError(
                f"failed to decode options into {self.go_config}: "
                f"{len(errors)} error(s) decoding:\n\n{points}"
            )
        return self._finish(values, used_opts)

    def _finish(self, values: dict[str, Any], converted: set[str]) -> Values:
        templates = {}
        for opt in self.opts:
            if opt.convert is not None and opt.name not in converted:
                try:
                    values[opt.name] = opt.convert(values[opt.name])
                except ValueError as exc:
                    raise HandlerOptionError(str(exc)) from None
            if opt.templated:
                templates[opt.name] = _compile(opt.name, values[opt.name])
        return Values(values, templates)

    @staticmethod
    def _find(opt: Opt, options: dict[str, Any]) -> str | None:
        names = (opt.name, *opt.aliases)
        for n in names:
            if n in options:
                return n
        lowered = {n.lower() for n in names}
        for k in options:
            if isinstance(k, str) and k.lower() in lowered:
                return k
        return None

    def tick_props(self) -> tuple[TickProp, ...]:
        props = [o.tick_prop() for o in self.opts]
        return tuple(p for p in props if p is not None)

    def from_tick(self, props: dict[str, Any]) -> dict[str, Any]:
        """Topic-handler style options from an inline handler's TICKscript props."""
        out: dict[str, Any] = {}
        for opt in self.opts:
            p = opt.tick_prop()
            if p is None:
                continue
            value = props.get(p.key or p.name)
            if value is None:  # props keyed by the TICKscript name are read too
                value = props.get(p.name)
            if value is None:
                continue
            if opt.type == DURATION:
                value = int(value)
            elif isinstance(value, list):
                value = list(value)
            elif isinstance(value, dict):
                value = dict(value)
            out[opt.name] = value
        return out
