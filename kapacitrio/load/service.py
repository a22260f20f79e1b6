"""The load service: applies the load directory through the task and alert services, and reloads it.

A load defines every template, then every task (TICKscripts, then task vars files), then every topic
handler found in the directory; an object that exists already is replaced and a task is reloaded
(disabled, then enabled), as Kapacitor does. Each object loaded from a file is marked in storage;
on the next load, marked objects whose file is gone are deleted. A file that fails is reported with
its path and counted; the other files still load.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trio

from kapacitrio.alerting.service import AlertServiceError
from kapacitrio.alerting.service import NotFound as HandlerNotFound
from kapacitrio.load import files
from kapacitrio.load.config import LoadConfig
from kapacitrio.logs import get_logger
from kapacitrio.serviceerrors import NotFound, ServiceError
from kapacitrio.tick.errors import TickError

_log = get_logger("load")

#: Storage kind of the marks of loaded objects; ids are `tasks/ID`, `templates/ID`,
#: `handlers/TOPIC/ID`.
ITEMS = "load_items"

#: What a file can fail with; anything else is a bug and propagates.
FILE_ERRORS = (files.LoadFileError, ServiceError, AlertServiceError, HandlerNotFound, TickError)


class LoadDisabled(Exception):
    """A reload was asked of a server whose `[load]` is not enabled."""


@dataclass
class LoadReport:
    """What one load did: the ids it defined and the files that failed, with their errors."""

    tasks: list[str] = field(default_factory=list)
    templates: list[str] = field(default_factory=list)
    handlers: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)

    def to_api(self) -> dict[str, Any]:
        return {
            "tasks": self.tasks,
            "templates": self.templates,
            "handlers": self.handlers,
            "removed": self.removed,
            "errors": self.errors,
        }


class LoadService:
    """Loads `[load] dir` into the server; one load at a time."""

    def __init__(self, services: Any, config: LoadConfig) -> None:
        self.services = services
        self.config = config
        self.root = Path(config.dir)
        self.errors = 0
        self._lock = trio.Lock()

    async def load(self) -> LoadReport:
        """Load the directory once; raises `LoadDisabled` when `[load]` is off."""
        if not self.config.enabled:
            raise LoadDisabled("load service is not enabled")
        async with self._lock:
            report = LoadReport()
            if self.root.is_dir():
                found = files.find_files(self.root)
                await self._each(report, found.templates, self._load_template)
                await self._each(report, found.tasks, self._load_task)
                await self._each(report, found.task_vars, self._load_task_vars)
                await self._each(report, found.handlers, self._load_handler)
            else:
                _log.debug("skipping load, the load directory does not exist", dir=str(self.root))
            await self._remove_missing(report)
            self.errors += len(report.errors)
            return report

    async def _each(self, report: LoadReport, paths: list[Path], load_one: Any) -> None:
        for path in paths:
            _log.info("loading", file=str(path))
            try:
                await load_one(report, path)
            except FILE_ERRORS as exc:
                message = f"failed to load file {path}: {exc}"
                _log.error("failed to load file", file=str(path), err=str(exc))
                report.errors.append({"path": str(path), "error": message})

    # -- one file each

    async def _load_template(self, report: LoadReport, path: Path) -> None:
        template_id = files.file_id(path)
        script = files.read_text(path)
        tasks = self.services.tasks
        if await self._exists(tasks.get_template_doc, template_id):
            await tasks.update_template(template_id, {"script": script})
        else:
            await tasks.create_template({"id": template_id, "script": script})
        await self._mark(f"templates/{template_id}")
        report.templates.append(template_id)

    async def _load_task(self, report: LoadReport, path: Path) -> None:
        task_id = files.file_id(path)
        await self._define_task(task_id, {"id": task_id, "script": files.read_text(path)})
        report.tasks.append(task_id)

    async def _load_task_vars(self, report: LoadReport, path: Path) -> None:
        opts = files.task_vars_options(path)
        await self._define_task(opts["id"], opts)
        report.tasks.append(opts["id"])

    async def _define_task(self, task_id: str, opts: dict[str, Any]) -> None:
        tasks = self.services.tasks
        if await self._exists(tasks.get_task_doc, task_id):
            await tasks.update_task(task_id, {k: v for k, v in opts.items() if k != "id"})
            await tasks.update_task(task_id, {"status": "disabled"})
        else:
            await tasks.create_task({**opts, "status": "disabled"})
        await tasks.update_task(task_id, {"status": "enabled"})
        await self._mark(f"tasks/{task_id}")

    async def _load_handler(self, report: LoadReport, path: Path) -> None:
        topic, spec = files.handler_spec(path)
        alerts = self.services.alerts
        handler_id = spec.get("id", "")
        try:
            alerts.get_handler(topic, handler_id)
        except HandlerNotFound:
            await alerts.create_handler(topic, spec)
        else:
            await alerts.replace_handler(topic, handler_id, spec)
        await self._mark(f"handlers/{topic}/{handler_id}")
        report.handlers.append(f"{topic}/{handler_id}")

    # -- marks

    @staticmethod
    async def _exists(get: Any, object_id: str) -> bool:
        try:
            await get(object_id)
        except NotFound:
            return False
        return True

    async def _mark(self, item_id: str) -> None:
        await self.services.store.put(ITEMS, item_id, {"id": item_id})

    async def _remove_missing(self, report: LoadReport) -> None:
        loaded = {f"tasks/{i}" for i in report.tasks}
        loaded |= {f"templates/{i}" for i in report.templates}
        loaded |= {f"handlers/{i}" for i in report.handlers}
        failed = {Path(e["path"]) for e in report.errors}
        kept = self._ids_of(failed)
        marks = await self.services.store.ids(ITEMS)
        # Tasks before templates, so no task is left pointing at a template being removed.
        order = {"tasks": 0, "templates": 1, "handlers": 2}
        for item_id in sorted(marks, key=lambda i: order.get(i.split("/", 1)[0], 3)):
            if item_id in loaded or item_id in kept:
                continue
            await self._remove(item_id)
            await self.services.store.delete(ITEMS, item_id)
            report.removed.append(item_id)

    @staticmethod
    def _ids_of(paths: set[Path]) -> set[str]:
        """Marks that a failed file would have made: its object stays until the file is fixed."""
        kept = set()
        for path in paths:
            kind = path.parent.name
            if kind in ("tasks", "templates"):
                kept.add(f"{kind}/{files.file_id(path)}")
        return kept

    async def _remove(self, item_id: str) -> None:
        kind, _, rest = item_id.partition("/")
        _log.info("removing object whose load file is gone", item=item_id)
        try:
            if kind == "tasks":
                await self.services.tasks.delete_task(rest)
            elif kind == "templates":
                await self.services.tasks.delete_template(rest)
            elif kind == "handlers":
                topic, _, handler_id = rest.rpartition("/")
                await self.services.alerts.delete_handler(topic, handler_id)
        except (NotFound, HandlerNotFound):
            pass


async def _reload_on_sighup(svc: LoadService) -> None:
    with trio.open_signal_receiver(signal.SIGHUP) as signals:
        async for _ in signals:
            await svc.load()


async def start(services: Any, nursery: trio.Nursery) -> None:
    """Server plugin: attach the service as `services.extra["load"]` and reload it on SIGHUP."""
    svc = LoadService(services, services.config.get("load"))
    services.extra["load"] = svc
    if svc.config.enabled:
        nursery.start_soon(_reload_on_sighup, svc)


async def ready(services: Any) -> None:
    """Server hook, once stored tasks run: the first load."""
    svc: LoadService = services.extra["load"]
    if svc.config.enabled:
        report = await svc.load()
        _log.info(
            "loaded the load directory",
            tasks=len(report.tasks),
            templates=len(report.templates),
            handlers=len(report.handlers),
            errors=len(report.errors),
        )
