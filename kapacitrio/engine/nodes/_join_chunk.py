"""The join node on columnar chunks: two parents' chunks matched by group and time in bulk.

It takes the common case only, where the result provably equals the message-by-message join:
one chunk from each of two parents, no `.on`, no tolerance, no pending sets in the groups
involved, each chunk in time order, and every (group, time) present exactly once in each chunk.
Then every join set completes at its second message, and the sets come out in the order those
messages have in the time-merged stream. Anything else returns None (message by message).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kapacitrio.models.columns import ColumnChunk, Series


def _global_groups(chunk: ColumnChunk, index: dict[str, int]) -> np.ndarray:
    codes, table = chunk.group_codes()
    ids = np.array([index.setdefault(g, len(index)) for g in table], dtype=np.int64)
    return ids[codes]


def join_two(
    envelopes: list[tuple[int, Any]], prefixes: list[str], delim: str, stream_name: str
) -> tuple[ColumnChunk, dict[str, tuple[int, int]]] | None:
    """The joined chunk and, per group, each parent's last time; None: not the common case."""
    if len(envelopes) != 2 or {p for p, _ in envelopes} != {0, 1}:
        return None
    if not all(type(c) is ColumnChunk for _, c in envelopes):
        return None
    (pa, ca), (pb, cb) = envelopes
    if len(ca) != len(cb) or not len(ca):
        return None
    for c in (ca, cb):
        if c.layout_codes is not None or (len(c.time) > 1 and (np.diff(c.time) < 0).any()):
            return None
    index: dict[str, int] = {}
    ga, gb = _global_groups(ca, index), _global_groups(cb, index)
    # Each (group, time) once per chunk, and the same set of keys in both.
    oa = np.lexsort((ca.time, ga))
    ob = np.lexsort((cb.time, gb))
    ka_g, ka_t = ga[oa], ca.time[oa]
    kb_g, kb_t = gb[ob], cb.time[ob]
    if not (np.array_equal(ka_g, kb_g) and np.array_equal(ka_t, kb_t)):
        return None
    if len(ka_t) > 1 and not ((np.diff(ka_g) != 0) | (np.diff(ka_t) != 0)).all():
        return None
    # Rank of every row in the time-merged stream (ties: the chunk that arrived first).
    n = len(ca)
    times = np.concatenate([ca.time, cb.time])
    env = np.repeat(np.array([0, 1]), n)
    rows = np.concatenate([np.arange(n), np.arange(n)])
    rank = np.empty(2 * n, dtype=np.int64)
    rank[np.lexsort((rows, env, times))] = np.arange(2 * n)
    done_at = np.maximum(rank[oa], rank[n + ob])  # a set completes with its second message
    order = np.argsort(done_at, kind="stable")
    ia, ib = oa[order], ob[order]
    if pa == 1:  # the first envelope came from the second parent
        ia, ib, ca, cb = ib, ia, cb, ca
    out = _joined(ca, cb, ia, ib, prefixes, delim, stream_name)
    if out is None:
        return None
    group_ids = list(index)
    heads: dict[str, tuple[int, int]] = {}
    last = ka_t[np.r_[np.flatnonzero(np.diff(ka_g)), len(ka_g) - 1]].tolist()
    for g, t in zip(np.unique(ka_g).tolist(), last, strict=True):
        heads[group_ids[g]] = (t, t)
    return out, heads


def _joined(
    ca: ColumnChunk,
    cb: ColumnChunk,
    ia: np.ndarray,
    ib: np.ndarray,
    prefixes: list[str],
    delim: str,
    stream_name: str,
) -> ColumnChunk | None:
    """Rows of the first parent (its series, time, group) with both parents' fields prefixed."""
    fields = {}
    keys: list[str] = []
    for prefix, c, idx in ((prefixes[0], ca, ia), (prefixes[1], cb, ib)):
        for k in c.layouts[0]:
            name = prefix + delim + k
            if name in fields:
                return None  # a field overwritten: the per-point code decides its place
            fields[name] = c.fields[k].take(idx)
            keys.append(name)
    s = ca.series
    dims = s.dims
    if dims is None:  # no dimensions: no group tags
        tags: list[dict[str, str]] = [{} for _ in s.tags]
    else:
        tags = [d.group_tags(t) for d, t in zip(dims, s.tags, strict=True)]
    names = [stream_name] * len(s.names) if stream_name else s.names
    series = Series(names, tags, s.groups, dims)
    return ColumnChunk(
        ca.time[ia],
        ca.series_codes[ia],
        series,
        fields,
        None,
        [tuple(keys)],
        ca.db,
        ca.rp,
    )
