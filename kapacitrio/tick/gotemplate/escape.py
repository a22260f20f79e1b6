"""HTML, JavaScript and text/template html escaping."""

from __future__ import annotations

import re

_HTML_ESC = {
    "\0": "\ufffd",
    '"': "&#34;",
    "&": "&amp;",
    "'": "&#39;",
    "+": "&#43;",
    "<": "&lt;",
    ">": "&gt;",
}
_HTML_RE = re.compile("[\0\"&'+<>]")


def html_escape(s: str) -> str:
    """html/template's escaping of text in an HTML text context."""
    if _HTML_RE.search(s) is None:
        return s
    s = s.replace("&", "&amp;")
    for c, esc in _HTML_ESC.items():
        if c != "&" and c in s:
            s = s.replace(c, esc)
    return s


def _text_html_escape(s: str) -> str:
    """text/template's `html` function (slightly different from html/template's escaper)."""
    return (
        s.replace("&", "&amp;")
        .replace("'", "&#39;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&#34;")
        .replace("\0", "\ufffd")
    )


def _js_escape(s: str) -> str:
    out = []
    for c in s:
        if c == "\\":
            out.append("\\\\")
        elif c == "'":
            out.append("\\'")
        elif c == '"':
            out.append('\\"')
        elif c == "<":
            out.append("\\u003C")
        elif c == ">":
            out.append("\\u003E")
        elif c == "&":
            out.append("\\u0026")
        elif c == "=":
            out.append("\\u003D")
        elif ord(c) < 0x20:
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    return "".join(out)
