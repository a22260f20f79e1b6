"""The alert pool: pending alerts and the round interval (doubling while alerts keep coming)."""

from __future__ import annotations

from kapacitrio.kkok.alert import Alert

NS = 1_000_000_000


class Pool:
    """Pending alerts keyed by arrival sequence; `take()` ends a round and sets the next interval."""

    def __init__(self, initial_interval: int = 30, max_interval: int = 30) -> None:
        if initial_interval <= 0:
            raise ValueError("initial_interval must be positive")
        self.initial_interval = initial_interval
        self.max_interval = max(max_interval, initial_interval)
        self.interval = initial_interval
        self._alerts: dict[int, Alert] = {}
        self._next_seq = 0

    def set_limits(self, initial_interval: int, max_interval: int) -> None:
        """Change the intervals (a config override); the current one is kept within them."""
        if initial_interval <= 0 or (initial_interval, max_interval) == (
            self.initial_interval,
            self.max_interval,
        ):
            return
        self.initial_interval = initial_interval
        self.max_interval = max(max_interval, initial_interval)
        self.interval = min(max(self.interval, self.initial_interval), self.max_interval)

    def add(self, alert: Alert, seq: int | None = None) -> int:
        """Pool an alert; returns its sequence number (given when restoring from storage)."""
        if seq is None:
            seq = self._next_seq
        self._next_seq = max(self._next_seq, seq + 1)
        self._alerts[seq] = alert
        return seq

    def discard(self, seq: int) -> None:
        """Forget one pooled alert (sent by another cluster member)."""
        self._alerts.pop(seq, None)

    def next_seq(self) -> int:
        """The sequence number the next added alert gets."""
        return self._next_seq

    def pending(self) -> list[Alert]:
        return [self._alerts[k] for k in sorted(self._alerts)]

    def __len__(self) -> int:
        return len(self._alerts)

    def take(self) -> list[tuple[int, Alert]]:
        """Empty the pool for a round and set the interval of the next one."""
        taken = sorted(self._alerts.items())
        self._alerts = {}
        if taken:
            self.interval = min(self.interval * 2, self.max_interval)
        else:
            self.interval = self.initial_interval
        return taken

    def interval_ns(self) -> int:
        return self.interval * NS
