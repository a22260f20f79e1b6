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
_P_NUMBER = rf"(?:[-+]?[0-9]{{1,18}}i|[-+]?{lp._P_FLOAT})"


class UniformLines(NamedTuple):
    """A uniform body's columns: each line's series key, its time and the field columns."""

    keys: list[str]
    times: list[int]
    fields: dict[str, Column]
    layout: tuple[str, ...]


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
    if _STAMPS.fullmatch("\n".join(stamps)) is None:
        return None
    times = list(map(int, stamps))
    if min(times) < tmin or max(times) > tmax:
        return None
    if not all(map(_SERIES.fullmatch, dict.fromkeys(keys))):
        return None
    layout = tuple(kv.partition("=")[0] for kv in ftoks[0].split(","))
    if len(set(layout)) != len(layout) or not all(map(_FIELD_KEY.fullmatch, layout)):
        return None
    joined = "\n".join(ftoks)
    if _layout_pattern(layout).fullmatch(joined) is None:
        return None
    fields = _field_columns(joined, layout, n)
    return None if fields is None else UniformLines(keys, times, fields, layout)


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
def _layout_pattern(layout: tuple[str, ...]) -> re.Pattern[str]:
    """A regex matching lines of fields, one per line, with these keys in this order."""
    line = ",".join(f"{re.escape(k)}={_P_NUMBER}" for k in layout)
    return re.compile(rf"(?:{line}\n)*+{line}")


def _field_columns(joined: str, layout: tuple[str, ...], n: int) -> dict[str, Column] | None:
    """Each field's column from the checked field text, or None when one mixes types."""
    width = len(layout)
    flat = joined.replace("\n", ",").split(",") if width > 1 else joined.split("\n")
    columns: dict[str, Column] = {}
    for j, key in enumerate(layout):
        cut = len(key) + 1
        texts = [kv[cut:] for kv in flat[j::width]]
        ints = "".join(texts).count("i")
        if ints == 0:
            columns[key] = Column(np.array(list(map(float, texts)), dtype=np.float64))
        elif ints == n:
            values = list(map(int, (t[:-1] for t in texts)))
            columns[key] = Column(np.array(values, dtype=np.int64))
        else:
            return None
    return columns
