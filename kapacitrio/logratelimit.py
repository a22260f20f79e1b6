"""Rate limiting of repeated log lines: the first few per key and interval, then one count.

A failing receiver or a bad field in every point would otherwise write one line per point or
event. `LogLimiter.check(key)` says whether this line may be written and how many lines of the
key were held back in the interval that just ended, so the caller writes one summary line
("... repeated N more times"). Time comes from the caller's clock (the engine's, so tests drive it
with trio's MockClock); nothing runs in the background: a summary is written at the key's next
line, or by `flush()` (a task stopping).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

#: Lines written per key and interval before the rest are only counted.
BURST = 10
#: Length of an interval, in nanoseconds.
INTERVAL_NS = 60 * 1_000_000_000
#: Keys remembered at most; past it the oldest window is forgotten (with its count).
MAX_KEYS = 1000


@dataclass
class _Window:
    start: int
    written: int = 0
    held: int = 0
    sample: str = ""


class LogLimiter:
    """Per-key windows of `interval_ns`: `burst` lines pass, the rest are counted."""

    def __init__(
        self, now: Callable[[], int], burst: int = BURST, interval_ns: int = INTERVAL_NS
    ) -> None:
        self.now = now
        self.burst = burst
        self.interval_ns = interval_ns
        self._windows: dict[str, _Window] = {}
        #: Lines held back since the start (also reported in summaries).
        self.suppressed = 0

    def check(self, key: str, text: str = "") -> tuple[bool, int, str]:
        """(write this line?, lines of `key` held back in the ended interval, one of them).

        A non-zero count means the caller should write a summary line first.
        """
        now = self.now()
        w = self._windows.get(key)
        held, sample = 0, ""
        if w is None or now - w.start >= self.interval_ns:
            if w is not None:
                held, sample = w.held, w.sample
                del self._windows[key]
            elif len(self._windows) >= MAX_KEYS:
                self._windows.pop(next(iter(self._windows)))
            w = self._windows[key] = _Window(now)
        if w.written < self.burst:
            w.written += 1
            return True, held, sample
        w.held += 1
        w.sample = text
        self.suppressed += 1
        return False, held, sample

    def flush(self) -> list[tuple[str, int, str]]:
        """(key, held count, sample) of every window that held lines back; all are reset."""
        out = [(k, w.held, w.sample) for k, w in self._windows.items() if w.held]
        self._windows.clear()
        return out


def summary_text(held: int, interval_ns: int) -> str:
    """The summary line's message."""
    return f"repeated error suppressed {held} times in the last {interval_ns // 1_000_000_000}s"
