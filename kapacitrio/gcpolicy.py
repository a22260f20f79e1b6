"""Garbage-collector settings for the long-running server: fewer, cheaper cyclic collections.

A write builds thousands of points that live until their tasks have handled them; with CPython's
default thresholds they survive young collections, reach the oldest generation and make it be
scanned again every few writes. Collecting the young generation less often lets most of them die
first, and freezing what startup built keeps full collections from re-scanning it.
"""

from __future__ import annotations

import gc

#: Tracked allocations between young collections, and collections between older ones.
SERVER_THRESHOLDS = (50_000, 20, 20)


def tune_for_server() -> None:
    """Freeze the objects built so far and raise the collection thresholds (call after startup)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SERVER_THRESHOLDS)
