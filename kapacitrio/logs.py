"""Structured logging: structlog entries as logfmt on stderr, and a hub that feeds log tailers.

Use `get_logger("service", **context)` everywhere; entries carry Kapacitor's keys (`ts`, `lvl`,
`msg`, `service`, `task`, `node`, ...). Every entry is also offered to the `LogHub`, whose
subscribers (the `/logs` API) each have a bounded buffer: an entry a slow subscriber has no room
for is dropped for that subscriber, so logging never waits on a reader.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import logging
import sys
import threading
from collections.abc import Iterator, Mapping
from typing import IO, Any

import structlog
import trio

LEVELS = {"debug": 10, "info": 20, "warn": 30, "error": 40}
_LEVEL_ALIASES = {"warning": "warn", "critical": "error", "exception": "error", "fatal": "error"}


def level_name(method: str) -> str:
    """Kapacitor's level word for a structlog method name."""
    return _LEVEL_ALIASES.get(method, method)


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nil"
    return str(value)


def _needs_quotes(text: str) -> bool:
    return any(c in text for c in ' ="\\') or any(ord(c) < 32 for c in text)


def format_logfmt(entry: Mapping[str, Any]) -> str:
    """One entry as a logfmt line (no newline): `ts=... lvl=info msg="..." service=http`."""
    parts = []
    for key, value in entry.items():
        text = _value_text(value)
        if _needs_quotes(text):
            text = json.dumps(text, ensure_ascii=False)
        parts.append(f"{key}={text}")
    return " ".join(parts)


def format_json(entry: Mapping[str, Any]) -> str:
    """One entry as a JSON object (no newline), keys in entry order, values as logfmt shows them."""
    return json.dumps(
        {k: _json_value(v) for k, v in entry.items()}, ensure_ascii=False, separators=(",", ":")
    )


def _json_value(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _timestamp() -> str:
    now = _dt.datetime.now(_dt.UTC)
    return now.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def level_threshold(want: str) -> int | None:
    """`lvl=info+` means "info or more severe": the least level number, or None without the `+`.

    An unknown name before the `+` lets every level through, as Kapacitor's log API does.
    """
    if not want.endswith("+"):
        return None
    return LEVELS.get(level_name(want[:-1].lower()), LEVELS["debug"])


class _Subscriber:
    __slots__ = ("filters", "least", "floor", "send", "dropped")

    def __init__(self, filters: Mapping[str, str], send: trio.MemorySendChannel[dict]) -> None:
        self.filters = dict(filters)
        self.least = level_threshold(self.filters.get("lvl", ""))
        if self.least is not None:
            del self.filters["lvl"]
        #: The least level this subscriber asks for by name (`lvl=debug`, `lvl=debug+`), which
        #: the loggers then produce even below the server's level; None: the server's level.
        self.floor = (
            self.least if self.least is not None else LEVELS.get(self.filters.get("lvl", ""))
        )
        self.send = send
        self.dropped = 0

    def wants(self, entry: Mapping[str, Any]) -> bool:
        if self.least is not None and LEVELS.get(str(entry.get("lvl")), 0) < self.least:
            return False
        return all(
            key in entry and _value_text(entry[key]) == want for key, want in self.filters.items()
        )


class LogHub:
    """Fans log entries out to subscribers without ever blocking the logger."""

    def __init__(self, buffer: int = 1000) -> None:
        self.buffer = buffer
        self._subs: set[_Subscriber] = set()
        #: Called when the subscribers change (`configure` sets it to re-tune the level filter).
        self.on_change: Any = None
        self._token: trio.lowlevel.TrioToken | None = None
        self._thread: int | None = None

    @property
    def subscribers(self) -> int:
        return len(self._subs)

    def floor(self) -> int | None:
        """The least level any subscriber asks for by name, or None."""
        floors = [sub.floor for sub in self._subs if sub.floor is not None]
        return min(floors) if floors else None

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def publish(self, entry: dict[str, Any]) -> None:
        """Offer an entry to every matching subscriber; callable from any thread."""
        if not self._subs:
            return
        if self._thread is not None and threading.get_ident() != self._thread:
            token = self._token
            if token is not None:
                with contextlib.suppress(trio.RunFinishedError):
                    token.run_sync_soon(self._deliver, entry)
            return
        self._deliver(entry)

    def _deliver(self, entry: dict[str, Any]) -> None:
        for sub in list(self._subs):
            if sub.wants(entry):
                try:
                    sub.send.send_nowait(entry)
                except trio.WouldBlock:
                    sub.dropped += 1
                except (trio.BrokenResourceError, trio.ClosedResourceError):
                    self._subs.discard(sub)

    def close_all(self) -> None:
        """End every subscription (at shutdown): readers get what is buffered, then the end."""
        for sub in list(self._subs):
            sub.send.close()
        self._subs.clear()

    @contextlib.contextmanager
    def subscribe(
        self, filters: Mapping[str, str] | None = None
    ) -> Iterator[trio.MemoryReceiveChannel[dict]]:
        """Receive matching entries for the life of the block (must be inside `trio.run`)."""
        self._token = trio.lowlevel.current_trio_token()
        self._thread = threading.get_ident()
        send, recv = trio.open_memory_channel[dict](self.buffer)
        sub = _Subscriber(filters or {}, send)
        self._subs.add(sub)
        self._changed()
        try:
            yield recv
        finally:
            self._subs.discard(sub)
            self._changed()
            send.close()
            recv.close()


#: The process-wide hub; the server's services hold a reference to it.
HUB = LogHub()


class _Sink:
    """The last processor: publishes the entry, then hands structlog the rendered line."""

    def __init__(self, hub: LogHub) -> None:
        self.hub = hub

    def __call__(self, _logger: Any, method: str, event: dict[str, Any]) -> str:
        entry: dict[str, Any] = {
            "ts": event.pop("timestamp", None) or _timestamp(),
            "lvl": level_name(method),
            "msg": event.pop("event", ""),
        }
        exc = event.pop("exc_info", None)
        entry.update(event)
        if exc:
            entry["err"] = repr(sys.exc_info()[1]) if exc is True else repr(exc)
        self.hub.publish(entry)
        if LEVELS.get(entry["lvl"], LEVELS["error"]) < LEVELS[_current[0]]:
            # made only for a log tail that asked for this level: not for the server's own log
            raise structlog.DropEvent
        return format_logfmt(entry)


def configure(
    level: str = "info", stream: IO[str] | None = None, hub: LogHub | None = None
) -> None:
    """Set up structlog: entries at or above `level` go to `stream` (stderr) and to `hub`.

    A tail that asks for a lower level by name (`lvl=debug+`) gets those entries too, as
    Kapacitor's log API does; the server's own log keeps to `level`.
    """
    word = _level_word(level)
    target = hub or HUB
    _current[0] = word
    _hub[0] = target
    target.on_change = _refilter
    structlog.configure(
        processors=[structlog.contextvars.merge_contextvars, _Sink(target)],
        wrapper_class=structlog.make_filtering_bound_logger(_least()),
        logger_factory=structlog.PrintLoggerFactory(file=stream or sys.stderr),
        cache_logger_on_first_use=False,
    )


#: The level `configure` or `set_level` last chose, and the hub entries go to.
_current = ["info"]
_hub: list[LogHub] = [HUB]


def _level_word(level: str) -> str:
    word = level_name(level.lower())
    if word not in LEVELS:
        raise ValueError(f"unknown log level {level!r}")
    return word


def _least() -> int:
    """The least level loggers produce: the server's, or lower while a tail asks for it."""
    floor = _hub[0].floor()
    server = LEVELS[_current[0]]
    return server if floor is None else min(server, floor)


def _refilter() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(_least()))


def set_level(level: str) -> None:
    """Change the least level logged, live (loggers are not cached, so all follow at once)."""
    _current[0] = _level_word(level)
    _refilter()


def current_level() -> str:
    """The least level logged now (`debug`, `info`, `warn` or `error`)."""
    return _current[0]


def get_logger(service: str, **context: Any) -> Any:
    """A structured logger whose entries carry `service=<service>` and the given keys.

    The logger stays lazy: it follows `configure` even when made at import time.
    """
    return structlog.get_logger(service=service, **context)


class _StdlibBridge(logging.Handler):
    """Sends records of stdlib loggers (hypercorn's) through structlog."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            method = level_name(record.levelname.lower())
            log = get_logger("http", source=record.name)
            extra = {}
            if record.exc_info and record.exc_info[1] is not None:
                exc = record.exc_info[1]
                extra["err"] = f"{type(exc).__name__}: {exc}"
                extra["trace"] = logging.Formatter().formatException(record.exc_info)
            emit = getattr(log, "warning" if method == "warn" else method, log.info)
            emit(record.getMessage(), **extra)
        except Exception:  # a broken log line must never break the caller
            self.handleError(record)


def bridge_stdlib(*names: str) -> None:
    """Route the named stdlib loggers (default: hypercorn's) into the structured log."""
    for name in names or ("hypercorn.error",):
        lg = logging.getLogger(name)
        lg.handlers[:] = [_StdlibBridge()]
        lg.setLevel(logging.INFO)
        lg.propagate = False
