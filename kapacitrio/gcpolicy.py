"""Garbage-collector settings for the long-running server: fewer, cheaper cyclic collections.

A write's points travel as column chunks (a few arrays, not an object per point), so what the
young generation fills with is mostly the cyclic garbage of HTTP exchanges: every alert an HTTP
handler posts leaves some 40 objects in reference cycles (the HTTP client's request, response and
stream objects). The young threshold bounds how much of that one collection frees at once: at
50,000 a collection stalled the event loop for 80-100 ms (every alert in flight waited), at 5,000
it costs a few milliseconds, and the engine's write rate is the same. Freezing what startup built
keeps full collections from re-scanning it.

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
SERVER_THRESHOLDS = (5_000, 20, 20)


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
