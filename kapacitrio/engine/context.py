"""What a running node may use: its task's id, clock, services, logging and the httpOut registry."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

import structlog

from kapacitrio.engine.clock import Clock
from kapacitrio.engine.grouplimit import max_groups
from kapacitrio.logratelimit import LogLimiter, summary_text

_log = structlog.get_logger("kapacitrio.task")
_DIGITS = re.compile(r"\d+")

LogSink = Callable[[dict[str, Any]], None]


class HTTPOutSource(Protocol):
    """An httpOut node as the registry sees it."""

    def result(self) -> dict[str, Any]:
        """The endpoint's current Result JSON."""
        ...


class TaskContext:
    """Per-task services handed to every node runtime.

    `dbrps` are the task's database/retention-policy pairs (kapacitorLoopback checks for loops).
    `task_master` is the id of the TaskMaster running the task: `main` for live tasks, the replay's
    id in a replay (alert nodes name their anonymous topics after it).
    `services` is the server's service registry (or a test stand-in); `log_sink`, when given, receives
    every log entry as a dict (the logs API streams these). The last entries are kept in `recent`.
    """

    def __init__(
        self,
        task_id: str,
        clock: Clock,
        services: Any = None,
        log_sink: LogSink | None = None,
        recent: int = 200,
        dbrps: list[tuple[str, str]] | None = None,
        task_master: str = "main",
    ) -> None:
        self.task_id = task_id
        self.task_master = task_master
        self.dbrps: list[tuple[str, str]] = list(dbrps or [])
        self.clock = clock
        self.services = services
        self.log_sink = log_sink
        self.http_out: dict[str, HTTPOutSource] = {}
        self.recent: deque[dict[str, Any]] = deque(maxlen=recent)
        #: Repeated per-message errors: the first few per node and message, then a count.
        self.limiter = LogLimiter(clock.now)
        #: Groups one node may hold state for (`[task] max-groups-per-node`, 0: no limit).
        self.max_groups = max_groups(services)

    def log(self, level: str, node_name: str, message: str, **kv: Any) -> None:
        """Log one entry for a node of this task."""
        entry = {
            "lvl": level.lower(),
            "task": self.task_id,
            "node": node_name,
            "msg": message,
            **kv,
        }
        self.recent.append(entry)
        if self.log_sink is not None:
            self.log_sink(entry)
        method = {"debug": _log.debug, "warn": _log.warning, "error": _log.error}.get(
            entry["lvl"], _log.info
        )
        method(message, task=self.task_id, node=node_name, **kv)

    def log_error(self, node_name: str, message: str) -> None:
        """Log a per-message error of a node (rate-limited per node and kind of message)."""
        self.log_repeated("error", node_name, message)

    def log_repeated(self, level: str, node_name: str, message: str, **kv: Any) -> None:
        """Log a line that may repeat per point or event: the first few per node and message
        (digits aside) in each interval, then one summary line with the count."""
        key = f"{node_name}\x00{_DIGITS.sub('0', message)[:120]}"
        write, held, sample = self.limiter.check(key, message)
        if held:
            self._summary(level, node_name, held, sample)
        if write:
            self.log(level, node_name, message, **kv)

    def _summary(self, level: str, node_name: str, held: int, sample: str) -> None:
        self.log(level, node_name, summary_text(held, self.limiter.interval_ns), last=sample)

    def flush_log_summaries(self) -> None:
        """Write the counts of lines still held back (the task is stopping)."""
        for key, held, sample in self.limiter.flush():
            self._summary("error", key.split("\x00", 1)[0], held, sample)

    def register_http_out(self, endpoint: str, source: HTTPOutSource) -> None:
        """Make an httpOut node's result readable as `GET /tasks/<id>/<endpoint>`."""
        self.http_out[endpoint] = source
