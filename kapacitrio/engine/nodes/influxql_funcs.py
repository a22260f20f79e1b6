"""The InfluxQL reducers: pure functions from a group's records to a value, a selection or rows.

A record is `(time, value, fields, tags)`. Aggregates return a value (None: no result);
selectors return the index of the chosen record (None: no result); multi-row functions return
a list of record indexes.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

Record = tuple[int, Any, dict, dict]

NUMERIC = (int, float)


class ReduceError(Exception):
    """The function does not apply to the values it was given."""


def kind_of(value: Any) -> str:
    """The InfluxQL type name of a field value: float, integer, string or boolean."""
    t = type(value)
    if t is bool:
        return "boolean"
    if t is int:
        return "integer"
    if t is float:
        return "float"
    if t is str:
        return "string"
    raise ReduceError(f"unsupported field type {t.__name__}")


GO_TYPES = {"float": "float64", "integer": "int64", "string": "string", "boolean": "bool"}


def _numeric(name: str, kind: str) -> None:
    if kind not in ("float", "integer"):
        raise ReduceError(f"cannot apply {name} to {GO_TYPES[kind]} field")


# -- aggregates: (records, kind) -> value | None


def agg_count(recs: Sequence[Record], kind: str) -> Any:
    return len(recs)


def agg_sum(recs: Sequence[Record], kind: str) -> Any:
    _numeric("sum", kind)
    if kind == "integer":
        return sum(r[1] for r in recs)
    total = 0.0
    for r in recs:  # left to right, as InfluxQL adds
        total += r[1]
    return total


def agg_mean(recs: Sequence[Record], kind: str) -> Any:
    _numeric("mean", kind)
    if not recs:
        return None
    return float(sum(r[1] for r in recs)) / len(recs)


def agg_median(recs: Sequence[Record], kind: str) -> Any:
    _numeric("median", kind)
    if not recs:
        return None
    values = sorted(r[1] for r in recs)
    n = len(values)
    if n % 2:
        return float(values[n // 2])
    lo, hi = values[n // 2 - 1], values[n // 2]
    return float(lo) + (float(hi) - float(lo)) / 2


def agg_mode(recs: Sequence[Record], kind: str) -> Any:
    if not recs:
        return None
    counts = Counter(r[1] for r in recs)
    best = max(counts.values())
    return min(v for v, c in counts.items() if c == best)


def agg_spread(recs: Sequence[Record], kind: str) -> Any:
    _numeric("spread", kind)
    if not recs:
        return None
    values = [r[1] for r in recs]
    return max(values) - min(values)


def agg_stddev(recs: Sequence[Record], kind: str) -> Any:
    _numeric("stddev", kind)
    n = len(recs)
    if n < 2:
        return None
    mean = sum(float(r[1]) for r in recs) / n
    var = sum((float(r[1]) - mean) ** 2 for r in recs) / (n - 1)
    return math.sqrt(var)


AGGREGATES: dict[str, Callable[[Sequence[Record], str], Any]] = {
    "count": agg_count,
    "sum": agg_sum,
    "mean": agg_mean,
    "median": agg_median,
    "mode": agg_mode,
    "spread": agg_spread,
    "stddev": agg_stddev,
}


# -- selectors: (records, kind, arg) -> index | None


def _pick(recs: Sequence[Record], better: Callable[[Record, Record], bool]) -> int | None:
    best: int | None = None
    for i, rec in enumerate(recs):
        if best is None or better(rec, recs[best]):
            best = i
    return best


def sel_first(recs: Sequence[Record], kind: str, arg: Any = None) -> int | None:
    return _pick(recs, lambda a, b: a[0] < b[0] or (a[0] == b[0] and a[1] > b[1]))


def sel_last(recs: Sequence[Record], kind: str, arg: Any = None) -> int | None:
    return _pick(recs, lambda a, b: a[0] > b[0] or (a[0] == b[0] and a[1] > b[1]))


def sel_min(recs: Sequence[Record], kind: str, arg: Any = None) -> int | None:
    if kind != "boolean":
        _numeric("min", kind)
    return _pick(recs, lambda a, b: a[1] < b[1] or (a[1] == b[1] and a[0] < b[0]))


def sel_max(recs: Sequence[Record], kind: str, arg: Any = None) -> int | None:
    if kind != "boolean":
        _numeric("max", kind)
    return _pick(recs, lambda a, b: a[1] > b[1] or (a[1] == b[1] and a[0] < b[0]))


def sel_percentile(recs: Sequence[Record], kind: str, arg: Any = None) -> int | None:
    _numeric("percentile", kind)
    if not recs:
        return None
    order = sorted(range(len(recs)), key=lambda i: (recs[i][1], recs[i][0]))
    idx = int(math.floor(len(order) * float(arg) / 100.0 + 0.5)) - 1
    if idx < 0 or idx >= len(order):
        return None
    return order[idx]


SELECTORS: dict[str, Callable[..., int | None]] = {
    "first": sel_first,
    "last": sel_last,
    "min": sel_min,
    "max": sel_max,
    "percentile": sel_percentile,
}


# -- multi-row


def multi_distinct(recs: Sequence[Record]) -> list[int]:
    """Indexes of the first record of each distinct value, ordered by that record's time."""
    first: dict[tuple, int] = {}
    for i, rec in enumerate(recs):
        first.setdefault((type(rec[1]), rec[1]), i)
    return sorted(first.values(), key=lambda i: recs[i][0])


def multi_topbottom(
    recs: Sequence[Record], kind: str, n: int, by: Sequence[str], top: bool
) -> list[int]:
    """Indexes of the n largest (top) or smallest values, one per distinct `by` tags/fields."""
    _numeric("top" if top else "bottom", kind)

    def better(a: Record, b: Record) -> bool:
        if a[1] != b[1]:
            return a[1] > b[1] if top else a[1] < b[1]
        return a[0] < b[0]

    if by:
        best: dict[tuple, int] = {}
        for i, rec in enumerate(recs):
            key = tuple(rec[2][k] if k in rec[2] else rec[3].get(k) for k in by)
            if key not in best or better(rec, recs[best[key]]):
                best[key] = i
        candidates = list(best.values())
    else:
        candidates = list(range(len(recs)))
    sign = -1 if top else 1
    candidates.sort(key=lambda i: (sign * recs[i][1], recs[i][0]))
    chosen = candidates[: max(n, 0)]
    return chosen
