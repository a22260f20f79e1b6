"""Go RE2 regular expressions translated to Python `re` patterns (TICKscript `/.../` literals)."""

from __future__ import annotations

import functools
import re

__all__ = ["compile_re2", "translate", "source_of", "RegexError"]


class RegexError(ValueError):
    """The pattern is not valid RE2 syntax or uses a feature Python `re` cannot express."""


_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7f",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}

# Unicode classes RE2 knows by name; Python `re` has no \p, so the common ones are approximated.
_UNICODE_CLASSES = {
    "L": "^\\W\\d_",
    "N": "\\d",
    "Nd": "\\d",
    "Z": "\\s",
    "Zs": "\\s",
}

_PERL_CLASSES = {"d": "0-9", "s": "\\t\\n\\f\\r ", "w": "0-9A-Za-z_"}

_SOURCES: dict[tuple[str, int], str] = {}


def source_of(pattern: re.Pattern) -> str:
    """The RE2 text a compiled pattern was made from (its Python text when it was not made here)."""
    return _SOURCES.get((pattern.pattern, pattern.flags), pattern.pattern)


@functools.lru_cache(maxsize=1024)
def compile_re2(pattern: str) -> re.Pattern:
    """Compile an RE2 pattern into a Python pattern with the same meaning; `RegexError` if invalid."""
    text = translate(pattern)
    try:
        compiled = re.compile(text)
    except re.error as err:
        raise RegexError(f"error parsing regexp: {_go_message(pattern, text, err)}") from None
    _SOURCES[(compiled.pattern, compiled.flags)] = pattern
    return compiled


def _go_message(pattern: str, text: str, err: re.error) -> str:
    """Word a Python `re` error the way Go's regexp/syntax does (`code: `fragment``)."""
    msg, pos = err.msg, err.pos or 0
    if msg.startswith("missing ), unterminated subpattern"):
        return f"missing closing ): `{pattern}`"
    if msg.startswith("unbalanced parenthesis"):
        return f"unexpected ): `{pattern}`"
    if msg.startswith("unterminated character set"):
        return f"missing closing ]: `{text[pos:]}`"
    if msg.startswith("nothing to repeat"):
        return f"missing argument to repetition operator: `{text[pos : pos + 1]}`"
    if msg.startswith("multiple repeat"):
        return f"invalid nested repetition operator: `{text[max(pos - 1, 0) : pos + 1]}`"
    if msg.startswith("bad escape"):
        return f"invalid escape sequence: `{msg[len('bad escape ') :]}`"
    if msg.startswith("bad character range"):
        return f"invalid character class range: `{msg[len('bad character range ') :]}`"
    if msg.startswith("min repeat greater than max repeat"):
        start = text.rfind("{", 0, pos + 1)
        end = text.find("}", pos)
        return f"invalid repeat count: `{text[start : end + 1]}`"
    return f"{msg}: `{pattern}`"


def translate(pattern: str) -> str:
    """Rewrite RE2 syntax that Python reads differently: `$`/`\\z` anchors, `\\Q..\\E`, POSIX and
    Unicode classes, `\\x{..}` escapes, and characters Python would take for nested sets."""
    multiline = _has_flag(pattern, "m")
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            i = _escape(pattern, i, out, in_class=False)
            continue
        if c == "[":
            i = _char_class(pattern, i, out)
            continue
        if c == "$" and not multiline:
            out.append("\\Z")
        elif c == "(" and re.match(r"\(\?<[A-Za-z_]", pattern[i : i + 4]):
            out.append("(?P<")
            i += 3
            continue
        elif c == "(" and pattern.startswith("(?", i) and not pattern.startswith("(?P<", i):
            j = pattern.find(")", i)
            colon = pattern.find(":", i)
            end = colon if 0 < colon < j else j
            flags = pattern[i + 2 : end]
            if "U" in flags:
                raise RegexError(f"unsupported regexp flag U: `{pattern}`")
            out.append(pattern[i : end + 1])
            i = end + 1
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


def _has_flag(pattern: str, flag: str) -> bool:
    for m in re.finditer(r"\(\?([a-zA-Z-]+)[:)]", pattern):
        if flag in m.group(1).split("-")[0]:
            return True
    return False


def _escape(p: str, i: int, out: list[str], *, in_class: bool) -> int:
    if i + 1 >= len(p):
        raise RegexError(f"error parsing regexp: trailing backslash at end of expression: `{p}`")
    c = p[i + 1]
    if c == "Q" and not in_class:
        end = p.find("\\E", i + 2)
        literal = p[i + 2 :] if end < 0 else p[i + 2 : end]
        out.append(re.escape(literal))
        return len(p) if end < 0 else end + 2
    if c == "z":
        out.append("\\Z")
        return i + 2
    if c == "x" and i + 2 < len(p) and p[i + 2] == "{":
        end = p.find("}", i + 3)
        if end < 0:
            raise RegexError(f"error parsing regexp: invalid escape sequence: `{p}`")
        code = int(p[i + 3 : end], 16)
        out.append(f"\\U{code:08x}")
        return end + 1
    if c in "pP":
        if i + 2 < len(p) and p[i + 2] == "{":
            end = p.find("}", i + 3)
            name, nxt = p[i + 3 : end], end + 1
        else:
            name, nxt = p[i + 2 : i + 3], i + 3
        body = _UNICODE_CLASSES.get(name)
        if body is None:
            raise RegexError(f"error parsing regexp: invalid character class range: `\\{c}{name}`")
        negate = c == "P"
        if in_class:
            if body.startswith("^") or negate:
                raise RegexError(f"unsupported character class in set: `\\{c}{name}`")
            out.append(body)
        elif body.startswith("^"):
            out.append(f"[{body[1:]}]" if negate else f"[{body}]")
        else:
            out.append(f"[^{body}]" if negate else f"[{body}]")
        return nxt
    perl = _PERL_CLASSES.get(c)
    if perl is not None:
        # RE2's \d, \s and \w are ASCII-only; Python's would match any Unicode digit or letter.
        if in_class:
            out.append(perl)
        else:
            out.append(f"[{perl}]")
        return i + 2
    negated = _PERL_CLASSES.get(c.lower()) if c in "DSW" else None
    if negated is not None and not in_class:
        out.append(f"[^{negated}]")
        return i + 2
    out.append(p[i : i + 2])
    return i + 2


def _char_class(p: str, i: int, out: list[str]) -> int:
    out.append("[")
    i += 1
    if i < len(p) and p[i] == "^":
        out.append("^")
        i += 1
    first = True
    while i < len(p):
        c = p[i]
        if c == "]" and not first:
            out.append("]")
            return i + 1
        first = False
        if c == "\\":
            i = _escape(p, i, out, in_class=True)
            continue
        if c == "[" and p.startswith("[:", i):
            end = p.find(":]", i + 2)
            if end > 0:
                name = p[i + 2 : end]
                negate = name.startswith("^")
                body = _POSIX_CLASSES.get(name.lstrip("^"))
                if body is None:
                    raise RegexError(
                        f"error parsing regexp: invalid character class range: `{name}`"
                    )
                if negate:
                    raise RegexError(f"unsupported negated POSIX class: `{name}`")
                out.append(body)
                i = end + 2
                continue
        if c in "[&~|" or (c == "-" and p.startswith("--", i)):
            out.append("\\" + c)
        else:
            out.append(c)
        i += 1
    raise RegexError(f"error parsing regexp: missing closing ]: `{p}`")
