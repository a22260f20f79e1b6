"""The alert state of one group: level history, flapping, and when it was first and last triggered."""

from __future__ import annotations

from kapacitrio.alerting import levels
from kapacitrio.alerting.topic import Inhibitor
from kapacitrio.engine.nodes._alert_options import AlertOptions

# Weights of the flapping measure: from 0.8 (oldest change) up to 1.2 (newest).
_MAX_WEIGHT = 1.2
_MIN_WEIGHT = _MAX_WEIGHT / 1.5


class GroupState:
    """The alert state of one group: level history, flapping and trigger times."""

    __slots__ = (
        "history",
        "idx",
        "flapping",
        "changed",
        "expired",
        "first_triggered",
        "last_triggered",
        "exprs",
        "resets",
        "inhibitor",
    )

    def __init__(self, opts: AlertOptions) -> None:
        self.history = [levels.OK] * opts.history
        self.idx = 0
        self.flapping = False
        self.changed = False
        self.expired = False
        self.first_triggered = 0
        self.last_triggered = 0
        self.exprs = [e.instance() if e is not None else None for e in opts.exprs]
        self.resets = [e.instance() if e is not None else None for e in opts.resets]
        self.inhibitor: list[Inhibitor] = []

    def dump(self) -> list:
        """The parts that carry over to a moved task (expression instances and inhibitors are
        rebuilt: the inhibitor with the group's next event)."""
        return [
            list(self.history),
            self.idx,
            self.flapping,
            self.changed,
            self.expired,
            self.first_triggered,
            self.last_triggered,
        ]

    def fresh_like(self) -> bool:
        """Never triggered, never flapping, only OK levels: as a new group would start."""
        return not self.last_triggered and not self.flapping and not any(self.history)

    def load(self, item: list) -> bool:
        """Take back what `dump` gave; False (nothing changed) if the history length differs."""
        history, idx, flapping, changed, expired, first, last = item
        if len(history) != len(self.history) or not 0 <= int(idx) < len(history):
            return False
        self.history = [int(x) for x in history]
        self.idx = int(idx)
        self.flapping = bool(flapping)
        self.changed = bool(changed)
        self.expired = bool(expired)
        self.first_triggered = int(first)
        self.last_triggered = int(last)
        return True

    @property
    def current(self) -> int:
        return self.history[self.idx]

    def add_event(self, t: int, level: int, opts: AlertOptions) -> None:
        self.changed = self.history[self.idx] != level
        self.idx = (self.idx + 1) % len(self.history)
        self.history[self.idx] = level
        if opts.flapping:
            p = self.percent_change()
            if self.flapping and p < opts.flap_low:
                self.flapping = False
            elif not self.flapping and p > opts.flap_high:
                self.flapping = True
        self.expired = (
            not self.changed
            and opts.sco_interval != 0
            and t - self.last_triggered >= opts.sco_interval
        )

    def push_levels(self, recent: list[int]) -> None:
        """Put levels into the history without the per-event bookkeeping (no flapping in use)."""
        n = len(self.history)
        for level in recent:
            self.idx = (self.idx + 1) % n
            self.history[self.idx] = level

    def percent_change(self) -> float:
        n = len(self.history)
        changes = 0.0
        weight = _MIN_WEIGHT
        step = (_MAX_WEIGHT - weight) / (n - 1)
        h = self.history
        for i in range(n - 1):
            c = (i + self.idx) % n
            p = c - 1 if c else n - 1
            if h[c] != h[p]:
                changes += weight
            weight += step
        return changes / (n - 1)

    def triggered(self, t: int) -> None:
        self.last_triggered = t
        prev = self.idx - 1 if self.idx else len(self.history) - 1
        if self.history[prev] == levels.OK:
            self.first_triggered = t

    @property
    def duration(self) -> int:
        return self.last_triggered - self.first_triggered
