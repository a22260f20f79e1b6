"""Target groups from `[[static-discovery]]` and Prometheus file_sd files (`[[file-discovery]]`).

A file holds a list of groups, `{"targets": ["host:port", ...], "labels": {...}}`, in JSON or YAML
(by extension). Each target gets the group's labels and `__meta_filepath`. The file watcher checks
the matched files' names, sizes and modification times every `WATCH_EVERY` and re-reads them when
anything changed, and at least every `refresh-interval`. A file that fails to read keeps the groups
it had, with the error logged, as Prometheus does.
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Awaitable, Callable
from typing import Any

import trio
import yaml

from kapacitrio import logs
from kapacitrio.config import duration_ns
from kapacitrio.engine.clock import NS, Clock
from kapacitrio.scraper.config import FileDiscoveryConfig, StaticDiscoveryConfig
from kapacitrio.scraper.targets import ADDRESS

#: How often a file discoverer looks at its files for changes.
WATCH_EVERY = 1 * NS

_log = logs.get_logger("scraper")

LabelSets = list[dict[str, str]]


class DiscoveryError(ValueError):
    """A file_sd file that is not a list of target groups."""


def static_targets(cfg: StaticDiscoveryConfig) -> LabelSets:
    """The label sets of a static discoverer's targets."""
    return [{**cfg.labels, ADDRESS: t} for t in cfg.targets]


def parse_groups(text: str, path: str) -> LabelSets:
    """The label sets of one file_sd file; raises `DiscoveryError` naming what is wrong."""
    try:
        if path.lower().endswith(".json"):
            doc = json.loads(text)
        else:
            doc = yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise DiscoveryError(f"{path}: {exc}") from None
    if doc is None:
        return []
    if not isinstance(doc, list):
        raise DiscoveryError(f"{path}: expected a list of target groups")
    out: LabelSets = []
    for i, group in enumerate(doc):
        if not isinstance(group, dict):
            raise DiscoveryError(f"{path}: group {i} is not an object")
        targets = group.get("targets") or []
        labels = group.get("labels") or {}
        if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
            raise DiscoveryError(f"{path}: group {i}: targets must be a list of strings")
        if not isinstance(labels, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in labels.items()
        ):
            raise DiscoveryError(f"{path}: group {i}: labels must map strings to strings")
        for target in targets:
            out.append({**labels, "__meta_filepath": path, ADDRESS: target})
    return out


def _matched(patterns: list[str]) -> list[str]:
    found: set[str] = set()
    for pattern in patterns:
        found.update(glob.glob(pattern))
    return sorted(found)


def _signature(paths: list[str]) -> tuple[Any, ...]:
    sig = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            continue
        sig.append((path, st.st_mtime_ns, st.st_size))
    return tuple(sig)


def _scan(patterns: list[str]) -> tuple[Any, ...]:
    """The matched files' names, mtimes and sizes (run in a worker thread)."""
    return _signature(_matched(patterns))


def _read_all(patterns: list[str]) -> dict[str, str | Exception]:
    """Every matched file's text, or the error reading it (run in a worker thread)."""
    out: dict[str, str | Exception] = {}
    for path in _matched(patterns):
        try:
            with open(path, encoding="utf-8") as fh:
                out[path] = fh.read()
        except (OSError, UnicodeDecodeError) as exc:
            out[path] = exc
    return out


class FileDiscoverer:
    """Reads a file discoverer's files and reports its label sets whenever they change."""

    def __init__(self, cfg: FileDiscoveryConfig, clock: Clock) -> None:
        self.cfg = cfg
        self.clock = clock
        self.by_file: dict[str, LabelSets] = {}
        self.errors = 0

    def read(self, texts: dict[str, str | Exception]) -> LabelSets:
        """Parse what `load` read (keeping the last good groups of a file that failed)."""
        fresh: dict[str, LabelSets] = {}
        for path, text in texts.items():
            try:
                if isinstance(text, Exception):
                    raise text
                fresh[path] = parse_groups(text, path)
            except (OSError, UnicodeDecodeError, DiscoveryError) as exc:
                self.errors += 1
                _log.error("file discovery failed to read a file", id=self.cfg.id, err=str(exc))
                if path in self.by_file:
                    fresh[path] = self.by_file[path]
        self.by_file = fresh
        return [labels for path in sorted(fresh) for labels in fresh[path]]

    async def load(self) -> LabelSets:
        """Read every matched file, in a worker thread (the disk may be slow), and parse it."""
        return self.read(await trio.to_thread.run_sync(_read_all, self.cfg.files))

    async def run(self, update: Callable[[LabelSets], Awaitable[None]]) -> None:
        """Call `update(label_sets)` now and after every change, until cancelled."""
        refresh = duration_ns(self.cfg.refresh_interval)
        sig = await trio.to_thread.run_sync(_scan, self.cfg.files)
        await update(await self.load())
        last = self.clock.now()
        while True:
            await self.clock.sleep_until(self.clock.now() + WATCH_EVERY)
            now_sig = await trio.to_thread.run_sync(_scan, self.cfg.files)
            if now_sig != sig or self.clock.now() - last >= refresh:
                sig = now_sig
                last = self.clock.now()
                await update(await self.load())
