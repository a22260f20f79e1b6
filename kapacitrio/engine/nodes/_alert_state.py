"""The alert state of one group: level history, flapping, and when it was first and last triggered."""

from __future__ import annotations

from kapacitrio.alerting import levels
from kapacitrio.alerting.topic import Inhibitor
from kapacitrio.engine.nodes._alert_options import AlertOptions
from kapacitrio.engine.nodes.lambdas import check_instance, dump_instance, load_instance

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
        """The parts that carry over to a moved task, with the state of stateful functions in
        the level expressions (inhibitors are rebuilt with the group's next event)."""
        out = [
            list(self.history),
            self.idx,
            self.flapping,
            self.changed,
            self.expired,
            self.first_triggered,
            self.last_triggered,
        ]
        lambdas = self._lambda_states()
        if lambdas is not None:
            out.append(lambdas)
        return out

    def _lambda_states(self) -> list | None:
        states = [[dump_instance(e) for e in self.exprs], [dump_instance(e) for e in self.resets]]
        return states if any(x is not None for part in states for x in part) else None

    def fresh_like(self) -> bool:
        """Never triggered, never flapping, only OK levels, no lambda state: as a new group."""
        if self.last_triggered or self.flapping or any(self.history):
            return False
        return self._lambda_states() is None

    def load(self, item: list) -> None:
        """Take back what `dump` gave; ValueError, with nothing changed, on a history of another
        length (a redefined task) or lambda states that do not fit."""
        history, idx, flapping, changed, expired, first, last, *rest = item
        if len(history) != len(self.history) or not 0 <= int(idx) < len(history):
            raise ValueError("the alert history has another length")
        if rest:
            exprs, resets = rest[0]
            pairs = [*zip(self.exprs, exprs, strict=True), *zip(self.resets, resets, strict=True)]
            for inst, data in pairs:  # checked whole before any is loaded
                check_instance(inst, data)
            for inst, data in pairs:
                load_instance(inst, data)
        self.history = [int(x) for x in history]
        self.idx = int(idx)
        self.flapping = bool(flapping)
        self.changed = bool(changed)
        self.expired = bool(expired)
        self.first_triggered = int(first)
        self.last_triggered = int(last)

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
        n, k = len(self.history), len(recent)  # k <= n
        start = (self.idx + 1) % n
        head = min(k, n - start)
        self.history[start : start + head] = recent[:head]
        self.history[: k - head] = recent[head:]
        self.idx = (self.idx + k) % n

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
