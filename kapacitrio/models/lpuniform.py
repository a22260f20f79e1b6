"""Uniform line-protocol bodies split a column at a time, without a regex match per line.

A body is uniform when every line is `series fields timestamp` with exactly two spaces, every
line has the same field keys in the same order, and each field is all floats or all integers.
Such a body (the usual shape of a collector's metrics) is cut by whole-body string operations,
and each column is checked by one regex over that column. Whatever is accepted here the fast
regex of `models.lineprotocol` accepts too, with the same values; anything else is None, and
the caller parses the body the usual way (which also words every error).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from kapacitrio.models import lineprotocol as lp
from kapacitrio.models.columns import Column

_SERIES = re.compile(rf"{lp._P_NAME}(?:,{lp._P_KEY}={lp._P_KEY})*+")
_FIELD_KEY = re.compile(lp._P_KEY)
_STAMP = r"[-+]?[0-9]{1,19}"
_STAMPS = re.compile(rf"(?:{_STAMP}\n)*+{_STAMP}")
# The values `lp._P_FLOAT` and the integer branch of `lp._P_VAL` accept, written possessively
# (each line ends at a newline, so no match backtracks into a value).
_P_VALUE = {
    "f": rf"[-+]?(?:[0-9]{{1,200}}+(?:\.[0-9]*+)?+{lp._P_EXP}|\.[0-9]++{lp._P_EXP})",
    "i": r"[-+]?[0-9]{1,18}+i",
}


class UniformLines(NamedTuple):
    """A uniform body's columns: each line's series key (and the distinct ones, in order of
    first appearance), its time and the field columns."""

    keys: list[str]
    distinct: list[str]
    times: np.ndarray
    fields: dict[str, Column]
    layout: tuple[str, ...]


_INT64 = np.iinfo(np.int64)


def split_uniform(body: bytes | str, text: str, tmin: int, tmax: int) -> UniformLines | None:
    """The columns of a uniform body whose timestamps lie within [tmin, tmax], else None.

    `text` is the body decoded; `body` is looked at only for where its spaces fall.
    """
    if text.endswith("\n"):
        text = text[:-1]
    n = text.count("\n") + 1
    flat = text.replace("\n", " ").split(" ")
    if len(flat) != 3 * n or not _two_spaces_a_line(body, n):
        return None
    keys, ftoks, stamps = flat[0::3], flat[1::3], flat[2::3]
    stamp_text = "\n".join(stamps)
    if _STAMPS.fullmatch(stamp_text) is None:
        return None
    times = _times(stamp_text, tmin, tmax)
    distinct = list(dict.fromkeys(keys))
    if times is None or not all(map(_SERIES.fullmatch, distinct)):
        return None
    first = [kv.partition("=") for kv in ftoks[0].split(",")]
    layout = tuple(k for k, _, _ in first)
    kinds = "".join("i" if v.endswith("i") else "f" for _, _, v in first)
    if len(set(layout)) != len(layout) or not all(map(_FIELD_KEY.fullmatch, layout)):
        return None
    joined = "\n".join(ftoks)
    if _layout_pattern(layout, kinds).fullmatch(joined) is None:
        return None
    fields = _field_columns(joined, layout, kinds)
    return UniformLines(keys, distinct, times, fields, layout)


def _times(text: str, tmin: int, tmax: int) -> np.ndarray | None:
    """The timestamps of a column `_STAMPS` matched, or None when one lies outside
    [tmin, tmax]. (numpy reads a number past int64's range as its bound: those are redone.)"""
    times = np.fromstring(text, np.int64, sep="\n")
    lo, hi = int(times.min()), int(times.max())
    if lo == _INT64.min or hi == _INT64.max:
        exact = list(map(int, text.split("\n")))
        lo, hi = min(exact), max(exact)
        if lo < tmin or hi > tmax:
            return None
        times = np.array(exact, np.int64)
    return None if lo < tmin or hi > tmax else times


def _two_spaces_a_line(body: bytes | str, n: int) -> bool:
    """Whether each of the `n` lines holds exactly two spaces (counted on the encoded body)."""
    raw = np.frombuffer(body.encode() if isinstance(body, str) else body, np.uint8)
    spaces = np.flatnonzero(raw == 32)
    if len(spaces) != 2 * n:
        return False
    ends = np.flatnonzero(raw == 10)[: n - 1]
    pairs = spaces.reshape(n, 2)
    # With 2n spaces in all, two of them on every line means exactly two on every line.
    return bool(np.all(pairs[1:, 0] > ends) and np.all(pairs[:-1, 1] < ends))


@lru_cache(maxsize=256)
def _layout_pattern(layout: tuple[str, ...], kinds: str) -> re.Pattern[str]:
    """A regex matching lines of fields, one per line, with these keys in this order, each
    holding floats (kind `f`) or integers (`i`)."""
    line = ",".join(f"{re.escape(k)}={_P_VALUE[t]}" for k, t in zip(layout, kinds, strict=True))
    return re.compile(rf"(?:{line}\n)*+{line}")


def _field_columns(joined: str, layout: tuple[str, ...], kinds: str) -> dict[str, Column]:
    """Each field's column from the field text `_layout_pattern(layout, kinds)` matched."""
    width = len(layout)
    if width == 1:
        texts = [joined]
    else:
        flat = joined.replace("\n", ",").split(",")
        texts = ["\n".join(flat[j::width]) for j in range(width)]
    columns: dict[str, Column] = {}
    for key, kind, text in zip(layout, kinds, texts, strict=True):
        values = text.replace(f"{key}=", "")  # values hold no "=": each is a line's own prefix
        if kind == "f":
            columns[key] = Column(np.fromstring(values, np.float64, sep="\n"))
        else:  # at most 18 digits: within int64
            columns[key] = Column(np.fromstring(values.replace("i", ""), np.int64, sep="\n"))
    return columns
