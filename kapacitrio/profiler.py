"""Profiles of the running server for `/debug/pprof`: CPU samples, allocation sites, the task tree.

- `cpu_profile(seconds)`: a worker thread (owned by the calling Trio task through
  `trio.to_thread`) reads the event loop thread's stack with `sys._current_frames()` every
  `INTERVAL` seconds; the result renders as collapsed stacks (flame graph tools) or speedscope JSON.
- `heap_profile(seconds)`: the top allocation sites by live size, from tracemalloc (traced for
  `seconds` when it is not already on).
- `task_tree()`: every Trio task, nursery by nursery, with the stack it is waiting in.

Only one CPU or heap profile runs at a time (`Busy` otherwise).
"""

from __future__ import annotations

import sys
import threading
import time
import tracemalloc
from collections import Counter
from typing import Any

import trio

#: Seconds between two CPU samples.
INTERVAL = 0.005
#: Longest profile a request may ask for, in seconds.
MAX_SECONDS = 60
#: Allocation sites listed by `heap_profile`.
HEAP_TOP = 50

Stack = tuple[tuple[str, str, int], ...]  # (function, file, line), outermost first


class Busy(Exception):
    """Another profile is running."""


_running = threading.Lock()


def _stack(frame: Any) -> Stack:
    out = []
    while frame is not None:
        code = frame.f_code
        out.append((code.co_name, code.co_filename, frame.f_lineno))
        frame = frame.f_back
    out.reverse()
    return tuple(out)


class CPUProfile:
    """Stacks sampled from one thread and how often each was seen."""

    def __init__(self, seconds: float, interval: float = INTERVAL) -> None:
        self.seconds = seconds
        self.interval = interval
        self.samples: Counter[Stack] = Counter()
        self.count = 0

    def sample(self, thread_id: int, stop: threading.Event) -> None:
        """Sample `thread_id` until `seconds` have passed or `stop` is set (in a worker thread)."""
        end = time.monotonic() + self.seconds
        while time.monotonic() < end and not stop.is_set():
            frame = sys._current_frames().get(thread_id)
            if frame is None:
                return
            self.samples[_stack(frame)] += 1
            self.count += 1
            del frame
            stop.wait(self.interval)

    def collapsed(self) -> str:
        """One line per distinct stack: `outer;...;inner count` (Brendan Gregg's format)."""
        lines = []
        for stack, n in self.samples.most_common():
            names = ";".join(f"{fn} ({_short(path)}:{line})" for fn, path, line in stack)
            lines.append(f"{names} {n}")
        return "\n".join(lines) + ("\n" if lines else "")

    def speedscope(self) -> dict[str, Any]:
        """The samples in speedscope's file format (one sampled profile, weights in seconds)."""
        frames: list[dict[str, Any]] = []
        index: dict[tuple[str, str, int], int] = {}
        samples, weights = [], []
        for stack, n in self.samples.items():
            ids = []
            for fn, path, line in stack:
                key = (fn, path, line)
                if key not in index:
                    index[key] = len(frames)
                    frames.append({"name": fn, "file": path, "line": line})
                ids.append(index[key])
            samples.append(ids)
            weights.append(n * self.interval)
        return {
            "$schema": "https://www.speedscope.app/file-format-schema.json",
            "exporter": "kapacitrio",
            "name": "kapacitrio CPU profile",
            "activeProfileIndex": 0,
            "shared": {"frames": frames},
            "profiles": [
                {
                    "type": "sampled",
                    "name": "event loop thread",
                    "unit": "seconds",
                    "startValue": 0,
                    "endValue": sum(weights),
                    "samples": samples,
                    "weights": weights,
                }
            ],
        }


def _short(path: str) -> str:
    for marker in ("/site-packages/", "/kapacitrio/"):
        i = path.rfind(marker)
        if i >= 0:
            return path[i + 1 :]
    return path


async def _set_on_cancel(stop: threading.Event) -> None:
    try:
        await trio.sleep_forever()
    finally:
        stop.set()


async def cpu_profile(seconds: float) -> CPUProfile:
    """Sample the event loop thread for `seconds`; the worker ends early if the caller is
    cancelled (the client went away), and never outlives the call."""
    if not _running.acquire(blocking=False):
        raise Busy()
    try:
        prof = CPUProfile(seconds)
        loop_thread = threading.get_ident()
        stop = threading.Event()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_set_on_cancel, stop)
            await trio.to_thread.run_sync(prof.sample, loop_thread, stop)
            nursery.cancel_scope.cancel()
        return prof
    finally:
        _running.release()


async def heap_profile(seconds: float) -> str:
    """Top allocation sites by live size: traced for `seconds` unless tracemalloc already is."""
    if not _running.acquire(blocking=False):
        raise Busy()
    try:
        started = not tracemalloc.is_tracing()
        if started:
            tracemalloc.start(16)
        try:
            if started:
                await trio.sleep(seconds)
            snapshot = tracemalloc.take_snapshot()
        finally:
            if started:
                tracemalloc.stop()
    finally:
        _running.release()
    snapshot = snapshot.filter_traces((tracemalloc.Filter(False, tracemalloc.__file__),))
    stats = snapshot.statistics("lineno")
    total = sum(s.size for s in stats)
    how = f"traced for {seconds:g} s" if started else "traced since tracemalloc started"
    lines = [f"heap profile: {total} bytes in {sum(s.count for s in stats)} blocks ({how})"]
    lines.append(f"{'bytes':>12} {'blocks':>8}  site")
    for s in stats[:HEAP_TOP]:
        frame = s.traceback[0]
        lines.append(f"{s.size:>12} {s.count:>8}  {_short(frame.filename)}:{frame.lineno}")
    return "\n".join(lines) + "\n"


def task_tree() -> str:
    """Every Trio task under the root, indented by nursery, each with its current stack."""
    lines: list[str] = []
    _describe(trio.lowlevel.current_root_task(), 0, lines)
    return "\n".join(lines) + "\n"


def _describe(task: trio.lowlevel.Task, depth: int, lines: list[str]) -> None:
    pad = "  " * depth
    lines.append(f"{pad}task {task.name}")
    for frame, lineno in task.iter_await_frames():
        code = frame.f_code
        lines.append(f"{pad}    {code.co_name} ({_short(code.co_filename)}:{lineno})")
    for nursery in task.child_nurseries:
        for child in nursery.child_tasks:
            _describe(child, depth + 1, lines)
