"""Garbage-collector settings for the long-running server: fewer, cheaper cyclic collections.

A write builds thousands of points that live until their tasks have handled them; with CPython's
default thresholds they survive young collections, reach the oldest generation and make it be
scanned again every few writes. Collecting the young generation less often lets most of them die
first, and freezing what startup built keeps full collections from re-scanning it.

Tasks defined after startup live as long as they run: a thousand tasks are some 160k objects
(coroutines, channels, node runtimes) that every older collection would walk again, and with them
unfrozen the server spent a third more CPU per written point. So each task start freezes what is
alive once more (after a young collection, so no fresh garbage is frozen), and a task stop thaws
everything so that the stopped task's cycles can be collected; the next start then runs one full
collection before it freezes again.
"""

from __future__ import annotations

import gc

#: Tracked allocations between young collections, and collections between older ones.
SERVER_THRESHOLDS = (50_000, 20, 20)


class _State:
    tuned = False  # tune_for_server was called: task starts and stops keep objects frozen
    thawed = False  # a task stopped since the last freeze: its garbage may be in the heap


def tune_for_server() -> None:
    """Freeze the objects built so far and raise the collection thresholds (call after startup)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SERVER_THRESHOLDS)
    _State.tuned = True
    _State.thawed = False


def task_started() -> None:
    """A task started: freeze its objects (and whatever else is alive) with the startup ones."""
    if not _State.tuned:
        return
    gc.collect() if _State.thawed else gc.collect(1)
    gc.freeze()
    _State.thawed = False


def task_stopped() -> None:
    """A task stopped: thaw the frozen objects so that its cyclic garbage can be collected."""
    if not _State.tuned:
        return
    gc.unfreeze()
    _State.thawed = True
