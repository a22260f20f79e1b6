"""Tasks and templates as the API shows them: fields, formatted scripts, DOT and throughput."""

from __future__ import annotations

import copy
import time
from typing import TYPE_CHECKING, Any

from kapacitrio.logs import get_logger
from kapacitrio.tasks.compiling import compile_doc, compile_template, template_vars
from kapacitrio.tasks.ids import ZERO_TIME, task_link, template_link
from kapacitrio.tick.errors import TickError

if TYPE_CHECKING:
    from kapacitrio.pipeline.spec import Pipeline

TASK_FIELDS = [
    "link",
    "id",
    "type",
    "dbrps",
    "script",
    "dot",
    "status",
    "executing",
    "error",
    "stats",
    "created",
    "modified",
    "last-enabled",
]
TASK_EXTRA_FIELDS = ["vars", "template-id"]
TEMPLATE_FIELDS = ["link", "id", "type", "script", "dot", "error", "created", "modified"]
TEMPLATE_EXTRA_FIELDS = ["vars"]

_log = get_logger("task_store")


def format_script(script: str, fmt: str) -> str:
    """The script as the API shows it: formatted when asked and when formatting succeeds."""
    if fmt != "formatted":
        return script
    try:
        from kapacitrio.tick.format import format_script as fmt_fn

        return fmt_fn(script)
    except (TickError, ImportError):
        return script
    except Exception:  # a formatter bug must not hide the task
        _log.warning("formatting a script failed", exc_info=True)
        return script


def render_dot(
    task_id: str, pipeline: Pipeline | None, info: dict[str, Any] | None = None, **kw: Any
) -> str:
    """The task's DOT: static, or the executing view when `info` (from the TaskMaster) is given."""
    if pipeline is None:
        return ""
    from kapacitrio.pipeline.dot import dot

    try:
        if info is None:
            return dot(task_id, pipeline)
        return dot(task_id, pipeline, info.get("stats") or {}, edges=info.get("edges") or {}, **kw)
    except Exception:  # never fail a read because of the picture
        _log.warning("rendering DOT failed", task=task_id, exc_info=True)
        return ""


class Throughput:
    """Points (or batches) per second into each task's source, measured between reads."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[float, int, float]] = {}

    def rate(self, task_id: str, info: dict[str, Any]) -> float:
        stats = info.get("stats") or {}
        first = next(iter(stats.values()), {})
        count = int(first.get("collected", 0) or 0)
        now = time.monotonic()
        prev = self._last.get(task_id)
        if prev is None:
            self._last[task_id] = (now, count, 0.0)
            return 0.0
        t0, c0, rate = prev
        if now - t0 >= 1.0 or count < c0:
            rate = max(0.0, (count - c0) / (now - t0)) if now > t0 else 0.0
            self._last[task_id] = (now, count, rate)
        return rate

    def forget(self, task_id: str) -> None:
        self._last.pop(task_id, None)


class TaskViews:
    """The read views of `TaskService` (mixed in; uses its engine link and compile options)."""

    def task_view(
        self,
        doc: dict[str, Any],
        fields: list[str] | None = None,
        fmt: str = "formatted",
        view: str = "attributes",
    ) -> dict[str, Any]:
        """A task as the API shows it; `fields` limits the keys (None: the full GET view)."""
        want = (
            (TASK_FIELDS[:2] + ["template-id"] + TASK_FIELDS[2:5] + ["vars"] + TASK_FIELDS[5:])
            if fields is None
            else fields
        )
        task_id = doc["id"]
        info = self._info(task_id) or {}
        executing = bool(info.get("executing"))
        out: dict[str, Any] = {}
        for f in want:
            if f == "link":
                out[f] = task_link(task_id)
            elif f == "id":
                out[f] = task_id
            elif f == "template-id":
                out[f] = doc.get("template-id", "")
            elif f == "type":
                out[f] = doc["type"]
            elif f == "dbrps":
                out[f] = copy.deepcopy(doc["dbrps"])
            elif f == "script":
                out[f] = format_script(doc["script"], fmt)
            elif f == "vars":
                out[f] = copy.deepcopy(doc.get("vars") or {})
            elif f == "dot":
                out[f] = self._task_dot(doc, info, view == "labels")
            elif f == "status":
                out[f] = doc["status"]
            elif f == "executing":
                out[f] = executing
            elif f == "error":
                out[f] = info.get("error") or doc.get("error", "")
            elif f == "stats":
                out[f] = self._exec_stats(task_id, info) if executing else {}
            elif f in ("created", "modified", "last-enabled"):
                out[f] = doc.get(f) or ZERO_TIME
        return out

    def _exec_stats(self, task_id: str, info: dict[str, Any]) -> dict[str, Any]:
        rate = self._throughput.rate(task_id, info)
        return {"task-stats": {"throughput": rate}, "node-stats": info.get("stats") or {}}

    def _task_dot(self, doc: dict[str, Any], info: dict[str, Any], labels: bool) -> str:
        running = getattr(self.tm, "tasks", {}).get(doc["id"])
        pipeline = getattr(running, "pipeline", None) if info.get("executing") else None
        if pipeline is None:
            try:
                pipeline = compile_doc(
                    doc["script"], doc["type"], doc.get("vars") or {}, **self._opts()
                )
            except TickError:
                return ""
        if info.get("executing"):
            rate = self._throughput.rate(doc["id"], info)
            return render_dot(doc["id"], pipeline, info, labels=labels, throughput=rate)
        return render_dot(doc["id"], pipeline)

    def template_view(
        self, doc: dict[str, Any], fields: list[str] | None = None, fmt: str = "formatted"
    ) -> dict[str, Any]:
        want = TEMPLATE_FIELDS[:4] + ["vars"] + TEMPLATE_FIELDS[4:] if fields is None else fields
        error = doc.get("error", "")
        pipeline = None
        try:
            pipeline = compile_template(doc["script"], doc["type"], **self._opts())
        except TickError as exc:
            error = str(exc)
        out: dict[str, Any] = {}
        for f in want:
            if f == "link":
                out[f] = template_link(doc["id"])
            elif f == "id":
                out[f] = doc["id"]
            elif f == "type":
                out[f] = doc["type"]
            elif f == "script":
                out[f] = format_script(doc["script"], fmt)
            elif f == "vars":
                out[f] = template_vars(pipeline)
            elif f == "dot":
                out[f] = render_dot(doc["id"], pipeline)
            elif f == "error":
                out[f] = error
            elif f in ("created", "modified"):
                out[f] = doc.get(f) or ZERO_TIME
        return out
