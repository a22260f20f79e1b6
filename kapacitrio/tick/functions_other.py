"""String, regex, time, presence, conditional, humanize and random built-ins of TICKscript lambdas."""

from __future__ import annotations

import math
import random
import re
import time as _time
from collections.abc import Callable

from kapacitrio.tick.errors import EvalError
from kapacitrio.tick.functions import FunctionSpec, _arity, register, wall_clock_ns
from kapacitrio.tick.values import Duration, MissingType, Time, go_type_name

_Pattern = re.Pattern
_ORDINALS = ("first", "second", "third", "fourth")


def _need(name: str, args: tuple, kinds: tuple[type, ...], words: tuple[str, ...]) -> None:
    """Check each argument's type, with Kapacitor's `cannot pass T as first arg to f, must be string`."""
    for i, (arg, kind, word) in enumerate(zip(args, kinds, words, strict=False)):
        if type(arg) is not kind:
            raise EvalError(
                f"cannot pass {go_type_name(arg)} as {_ORDINALS[i]} arg to {name}, must be {word}"
            )


# ---------------------------------------------------------------------------------------------
# Strings (Go strings are bytes: indexes and lengths count UTF-8 bytes)


def _byte_index(s: str, sub: str) -> int:
    return s.encode().find(sub.encode())


def _byte_rindex(s: str, sub: str) -> int:
    return s.encode().rfind(sub.encode())


def _index_any(s: str, chars: str) -> int:
    pos = 0
    for ch in s:
        if ch in chars:
            return pos
        pos += len(ch.encode())
    return -1


def _last_index_any(s: str, chars: str) -> int:
    found, pos = -1, 0
    for ch in s:
        if ch in chars:
            found = pos
        pos += len(ch.encode())
    return found


_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


def _lower(s: str) -> str:
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in s)


def _upper(s: str) -> str:
    return "".join(c.upper() if len(c.upper()) == 1 else c for c in s)


def _trim_prefix(s: str, p: str) -> str:
    return s[len(p) :] if p and s.startswith(p) else s


def _trim_suffix(s: str, p: str) -> str:
    return s[: -len(p)] if p and s.endswith(p) else s


_STR2: dict[str, Callable[[str, str], object]] = {
    "strContains": lambda s, sub: sub in s,
    "strContainsAny": lambda s, chars: any(c in chars for c in s),
    "strCount": lambda s, sub: s.count(sub),
    "strHasPrefix": lambda s, p: s.startswith(p),
    "strHasSuffix": lambda s, p: s.endswith(p),
    "strIndex": _byte_index,
    "strIndexAny": _index_any,
    "strLastIndex": _byte_rindex,
    "strLastIndexAny": _last_index_any,
    "strTrim": lambda s, cut: s.strip(cut) if cut else s,
    "strTrimLeft": lambda s, cut: s.lstrip(cut) if cut else s,
    "strTrimPrefix": _trim_prefix,
    "strTrimRight": lambda s, cut: s.rstrip(cut) if cut else s,
    "strTrimSuffix": _trim_suffix,
}
_STR2_RETURNS = {
    "strContains": bool,
    "strContainsAny": bool,
    "strHasPrefix": bool,
    "strHasSuffix": bool,
    "strCount": int,
    "strIndex": int,
    "strIndexAny": int,
    "strLastIndex": int,
    "strLastIndexAny": int,
}
_STR1: dict[str, Callable[[str], str]] = {
    "strToLower": _lower,
    "strToUpper": _upper,
    "strTrimSpace": lambda s: s.strip(_GO_SPACE),
}


def _make_str2(name: str, fn: Callable[[str, str], object]):
    def call(*args: object) -> object:
        if len(args) == 2 and type(args[0]) is str and type(args[1]) is str:
            return fn(*args)  # type: ignore[arg-type]
        _arity(name, args, 2)
        _need(name, args, (str, str), ("string", "string"))
        return fn(*args)  # type: ignore[arg-type]

    return call


def _make_str1(name: str, fn: Callable[[str], str]):
    def call(*args: object) -> str:
        if len(args) == 1 and type(args[0]) is str:
            return fn(args[0])  # type: ignore[arg-type]
        _arity(name, args, 1)
        _need(name, args, (str,), ("string",))
        return fn(args[0])  # type: ignore[arg-type]

    return call


def _str_length(*args: object) -> int:
    _arity("strLength", args, 1)
    _need("strLength", args, (str,), ("string",))
    return len(args[0].encode())  # type: ignore[attr-defined]


def _str_replace(*args: object) -> str:
    if len(args) != 4:
        raise EvalError("strReplace expects exactly four arguments")
    _need("strReplace", args, (str, str, str, int), ("string", "string", "string", "int"))
    s, old, new, n = args
    return s.replace(old, new, n if n >= 0 else -1)  # type: ignore[union-attr,operator]


def _str_substring(*args: object) -> str:
    _arity("strSubstring", args, 3)
    _need("strSubstring", args, (str, int, int), ("string", "int", "int"))
    s, start, stop = args
    raw = s.encode()  # type: ignore[union-attr]
    if start < 0:  # type: ignore[operator]
        raise EvalError(f"found negative index for strSubstring: {start}")
    if stop < 0:  # type: ignore[operator]
        raise EvalError(f"found negative index for strSubstring: {stop}")
    if stop >= len(raw):  # type: ignore[operator]
        raise EvalError(f"stop index too large for string in strSubstring: {stop}")
    if start > stop:  # type: ignore[operator]
        raise EvalError(f"runtime error: slice bounds out of range [{start}:{stop}]")
    return raw[start:stop].decode(errors="replace")  # type: ignore[misc]


for _name, _fn in _STR2.items():
    register(
        FunctionSpec(
            _name, {(str, str): _STR2_RETURNS.get(_name, str)}, call=_make_str2(_name, _fn)
        )
    )
for _name, _fn1 in _STR1.items():
    register(FunctionSpec(_name, {(str,): str}, call=_make_str1(_name, _fn1)))
register(FunctionSpec("strLength", {(str,): int}, call=_str_length))
register(FunctionSpec("strReplace", {(str, str, str, int): str}, call=_str_replace))
register(FunctionSpec("strSubstring", {(str, int, int): str}, call=_str_substring))


# ---------------------------------------------------------------------------------------------
# regexReplace with Go's template expansion ($1, ${1}, ${name}, $name, $$)

_NAME_CHARS = re.compile(r"[A-Za-z0-9_]+")


def expand_template(template: str, match: re.Match) -> str:
    """Go's `Regexp.Expand`: `$name` takes the longest run of word characters; unknown groups are empty."""
    out: list[str] = []
    i, n = 0, len(template)
    while i < n:
        j = template.find("$", i)
        if j < 0:
            out.append(template[i:])
            break
        out.append(template[i:j])
        i = j + 1
        if i < n and template[i] == "$":
            out.append("$")
            i += 1
            continue
        name, nxt = None, i
        if i < n and template[i] == "{":
            end = template.find("}", i + 1)
            if end > i + 1 and _NAME_CHARS.fullmatch(template, i + 1, end):
                name, nxt = template[i + 1 : end], end + 1
        else:
            m = _NAME_CHARS.match(template, i)
            if m:
                name, nxt = m.group(0), m.end()
        if name is None:
            out.append("$")
            continue
        out.append(_group(match, name))
        i = nxt
    return "".join(out)


def _group(match: re.Match, name: str) -> str:
    try:
        if name.isdigit():
            value = match.group(int(name))
        else:
            value = match.group(name)
    except IndexError:
        return ""
    return value or ""


def regex_replace_all(pattern: re.Pattern, src: str, repl: str) -> str:
    """Go's `ReplaceAllString`: an empty match right after the previous match is skipped."""
    out: list[str] = []
    last, prev_end = 0, -1
    for m in pattern.finditer(src):
        if m.start() == m.end() and m.start() == prev_end:
            continue
        out.append(src[last : m.start()])
        out.append(expand_template(repl, m))
        last = prev_end = m.end()
    out.append(src[last:])
    return "".join(out)


def _regex_replace(*args: object) -> str:
    _arity("regexReplace", args, 3)
    _need("regexReplace", args, (_Pattern, str, str), ("regex", "string", "string"))
    return regex_replace_all(*args)  # type: ignore[arg-type]


register(FunctionSpec("regexReplace", {(_Pattern, str, str): str}, call=_regex_replace))


# ---------------------------------------------------------------------------------------------
# Time (in the local time zone, like Kapacitor's `"time"`)


def _local(t: int) -> _time.struct_time:
    return _time.localtime(t // 1_000_000_000)


def _make_time(name: str, part: Callable[[int], int]):
    def call(*args: object) -> int:
        _arity(name, args, 1)
        t = args[0]
        if type(t) is not Time:
            raise EvalError(f"cannot convert {go_type_name(t)} to time.Time")
        return part(t)  # type: ignore[arg-type]

    return call


_TIME_PARTS: dict[str, Callable[[int], int]] = {
    "unixNano": int,
    "minute": lambda t: _local(t).tm_min,
    "hour": lambda t: _local(t).tm_hour,
    "weekday": lambda t: (_local(t).tm_wday + 1) % 7,
    "day": lambda t: _local(t).tm_mday,
    "month": lambda t: _local(t).tm_mon,
    "year": lambda t: _local(t).tm_year,
}
for _name, _part in _TIME_PARTS.items():
    register(FunctionSpec(_name, {(Time,): int}, call=_make_time(_name, _part)))


def make_now(clock: Callable[[], int]) -> Callable[..., Time]:
    """`now()` bound to a clock (ns since the epoch)."""

    def now(*args: object) -> Time:
        if args:
            raise EvalError("now expects exactly zero argument")
        return Time(clock())

    return now


register(FunctionSpec("now", {(): Time}, call=make_now(wall_clock_ns)))


# ---------------------------------------------------------------------------------------------
# isPresent, if, humanBytes, rand


def _is_present(*args: object) -> bool:
    if len(args) != 1:
        raise EvalError("isMissing expects exactly one argument")
    return type(args[0]) is not MissingType


register(
    FunctionSpec(
        "isPresent",
        {(MissingType,): bool, (bool,): bool, (str,): bool, (int,): bool, (float,): bool},
        call=_is_present,
    )
)


def _if(*args: object) -> object:
    if len(args) != 3:
        raise EvalError("if expects exactly three arguments")
    cond, a, b = args
    if type(cond) is not bool:
        raise EvalError(
            f"first argument to if must be a condition with type of bool - got {go_type_name(cond)}"
        )
    if type(a) is not type(b):
        raise EvalError(
            "Different return types are not supported - second argument is "
            f"{go_type_name(a)} and third argument is {go_type_name(b)}"
        )
    return a if cond else b


register(
    FunctionSpec(
        "if",
        {(bool, t, t): t for t in (float, int, str, bool, _Pattern, Time, Duration)},
        call=_if,
    )
)

_SIZES = ("B", "kB", "MB", "GB", "TB", "PB", "EB")


def human_bytes(n: int) -> str:
    """go-humanize's `Bytes`: SI units (base 1000), one decimal below 10 of a unit."""
    if n < 10:
        return f"{n} B"
    e = math.floor(math.log(n) / math.log(1000))
    value = math.floor(n / 1000**e * 10 + 0.5) / 10
    return (f"{value:.0f}" if value >= 10 else f"{value:.1f}") + " " + _SIZES[e]


def _human_bytes(*args: object) -> str:
    _arity("humanBytes", args, 1)
    a = args[0]
    if type(a) is float:
        if math.isnan(a) or math.isinf(a):
            return human_bytes(2**63)
        return human_bytes(int(a) & (2**64 - 1))
    if type(a) is int:
        return human_bytes(a & (2**64 - 1))
    raise EvalError(f"cannot convert {go_type_name(a)} to humanBytes")


register(FunctionSpec("humanBytes", {(float,): str, (int,): str}, call=_human_bytes))

_rng = random.Random()


def _rand(*args: object) -> int:
    if not args:
        return _rng.getrandbits(63)
    if len(args) != 1:
        raise EvalError("rand expects zero or one argument")
    n = args[0]
    if type(n) is not int:
        raise EvalError(f"cannot pass {go_type_name(n)} to rand, must be int64")
    if n <= 0:
        raise EvalError("invalid argument to Int63n")
    return _rng.randrange(n)


register(FunctionSpec("rand", {(): int, (int,): int}, call=_rand))
