"""Helpers for nodes that handle a `ColumnChunk` by columns: predicates with per-point fallback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from kapacitrio.models.columns import ColumnChunk
from kapacitrio.models.point import Point
from kapacitrio.tick.columnar import ColumnarExpression, compile_columnar
from kapacitrio.tick.errors import EvalError


def columnar_lambda(node: Any) -> ColumnarExpression | None:
    """The columnar form of a node's lambda, or None when it has none."""
    return compile_columnar(node)


def used_groups(chunk: ColumnChunk) -> list[str]:
    """The group IDs the chunk's rows have."""
    codes, table = chunk.group_codes()
    if len(table) == 1:
        return table if len(chunk) else []
    return [table[i] for i in np.unique(codes).tolist()]


def predicate_mask(
    expr: ColumnarExpression,
    chunk: ColumnChunk,
    per_point: Callable[[Point], bool],
    on_error: Callable[[str], None],
) -> np.ndarray | None:
    """Rows for which a predicate holds; None when the chunk must go point by point.

    Fallback rows are decided by `per_point`; an `EvalError` there is reported with `on_error`
    and drops the row, exactly as the per-point handler does.
    """
    res = expr.evaluate_bool(chunk)
    if res is None:
        return None
    keep, fb = res
    if fb.any():
        keep = np.array(keep, dtype=np.bool_)  # a copy: the memo's verdicts stay as they are
        rows = chunk.rows()
        for i in np.flatnonzero(fb).tolist():
            try:
                keep[i] = per_point(rows[i])
            except EvalError as exc:
                on_error(str(exc))
                keep[i] = False
    return keep


def kept_rows(
    expr: ColumnarExpression,
    chunk: ColumnChunk,
    per_point: Callable[[Point], bool],
    on_error: Callable[[str], None],
) -> ColumnChunk | None:
    """The chunk's rows for which a predicate holds (`predicate_mask`, then `take`); None when
    the chunk must go point by point. Rows the router kept by this very condition
    (`memo["settled"]`, see `engine.router`) are the answer already."""
    if chunk.memo.get("settled") == expr.key:
        return chunk
    keep = predicate_mask(expr, chunk, per_point, on_error)
    return None if keep is None else chunk.take(keep)
