"""Tasks and templates: validation, storage, the engine's TaskMaster, and their API views.

Stored documents (kind `tasks` and `templates`) keep what the user defined; executing state comes from
the TaskMaster. Every change is validated in full (script, vars, dbrps) before anything is stored or
started, so a rejected request changes nothing. Mutations are serialised by one lock.
"""

from __future__ import annotations

import copy
import inspect
import re
import time
import uuid
from typing import TYPE_CHECKING, Any

import trio

from kapacitrio.logs import get_logger
from kapacitrio.models.timefmt import format_rfc3339
from kapacitrio.tasks.errors import Internal, Invalid, NotFound
from kapacitrio.tick.errors import TickError
from kapacitrio.tick.values import go_quote

if TYPE_CHECKING:
    from kapacitrio.pipeline.spec import Pipeline
    from kapacitrio.services import Services

TASKS = "tasks"
TEMPLATES = "templates"
TYPES = ("stream", "batch")
ZERO_TIME = "0001-01-01T00:00:00Z"
BASE = "/kapacitor/v1"

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


#: Longest id accepted (Kapacitor sets none; a bound keeps keys and URLs sane).
MAX_ID_LENGTH = 255


def check_id(what: str, text: str) -> None:
    """Raise `Invalid` with Kapacitor's message unless `text` is a valid task/template id."""
    if len(text) > MAX_ID_LENGTH:
        raise Invalid(f"{what} ID must be at most {MAX_ID_LENGTH} characters long")
    if not valid_id(text):
        raise Invalid(
            f"{what} ID must contain only letters, numbers, '-', '.' and '_'. {go_quote(text)}"
        )


def valid_id(text: str) -> bool:
    """Kapacitor's id rule `^[-\\._\\p{L}0-9]+$`: letters (any script), ASCII digits, `-`, `.`, `_`."""
    return 0 < len(text) <= MAX_ID_LENGTH and all(
        c.isalpha() or c in "-._" or "0" <= c <= "9" for c in text
    )


def now_text() -> str:
    return format_rfc3339(time.time_ns())


def task_link(task_id: str) -> dict[str, str]:
    return {"rel": "self", "href": f"{BASE}/tasks/{task_id}"}


def template_link(template_id: str) -> dict[str, str]:
    return {"rel": "self", "href": f"{BASE}/templates/{template_id}"}


# -- compiling ---------------------------------------------------------------------------------


def parse_vars(obj: Any) -> dict[str, Any]:
    """Validate API vars; returns their normalised JSON (bad vars: `Invalid`)."""
    from kapacitrio.pipeline.vars import vars_from_api, vars_to_api

    if obj is None:
        return {}
    try:
        return vars_to_api(vars_from_api(obj))
    except TickError as exc:
        raise Invalid(str(exc)) from None


def compile_doc(script: str, task_type: str, vars_json: dict[str, Any], **opts: Any) -> Pipeline:
    """Compile a task's script with its vars; raises `TickError`.

    `opts` are `compile_task`'s `deadman=` and `udfs=` (see `tasks.compileopts`).
    """
    from kapacitrio.pipeline.build import compile_task
    from kapacitrio.pipeline.vars import vars_from_api

    return compile_task(script, task_type, vars_from_api(vars_json or {}), **opts)


def compile_template(script: str, task_type: str, **opts: Any) -> Pipeline:
    """Compile a template (missing typed vars get zero values); raises `TickError`."""
    from kapacitrio.pipeline.build import compile_task

    return compile_task(script, task_type, None, template=True, **opts)


def infer_type(
    script: str, vars_json: dict[str, Any], *, template: bool = False, **opts: Any
) -> str:
    """The type of a script given without one: `batch` if it only compiles as batch, else `stream`."""
    compile_fn = (
        (lambda t: compile_template(script, t, **opts))
        if template
        else (lambda t: compile_doc(script, t, vars_json, **opts))
    )
    try:
        compile_fn("stream")
        return "stream"
    except TickError:
        try:
            compile_fn("batch")
            return "batch"
        except TickError:
            return "stream"


def dbrps_from_api(obj: Any) -> list[dict[str, str]]:
    """Validate the API's `dbrps` list of `{"db", "rp"}` objects."""
    if obj is None:
        return []
    if not isinstance(obj, list):
        raise Invalid("invalid JSON")
    out = []
    for item in obj:
        if not isinstance(item, dict):
            raise Invalid("invalid JSON")
        db, rp = item.get("db", ""), item.get("rp", "")
        if not isinstance(db, str) or not isinstance(rp, str):
            raise Invalid("invalid JSON")
        out.append({"db": db, "rp": rp})
    return out


def _go_dbrps(dbrps: list[dict[str, str]]) -> str:
    return "[" + " ".join(f"{{{d['db']} {d['rp']}}}" for d in dbrps) + "]"


def _opt_str(opts: dict[str, Any], key: str) -> str:
    value = opts.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid("invalid JSON")
    return value


#: Largest TICKscript accepted, in characters.
MAX_SCRIPT_LENGTH = 1_000_000


def _opt_script(opts: dict[str, Any]) -> str:
    script = _opt_str(opts, "script")
    if len(script) > MAX_SCRIPT_LENGTH:
        raise Invalid(f"script is longer than {MAX_SCRIPT_LENGTH} characters")
    return script


def _opt_status(opts: dict[str, Any]) -> str:
    status = _opt_str(opts, "status")
    if status not in ("", "enabled", "disabled"):
        raise Invalid(f"invalid status {go_quote(status)}: must be one of enabled or disabled")
    return status


def _opt_type(opts: dict[str, Any]) -> str:
    typ = _opt_str(opts, "type")
    if typ not in ("",) + TYPES:
        raise Invalid(f"unknown type {go_quote(typ)}")
    return typ


def _int_param(name: str, raw: str | None, default: int) -> int:
    """A query parameter as Go's `strconv.ParseInt(raw, 10, 64)` reads it, or Kapacitor's 400."""
    if raw is None or raw == "":
        return default
    reason = "invalid syntax"
    if re.fullmatch(r"[+-]?[0-9]+", raw):
        value = int(raw, 10)
        if -(2**63) <= value < 2**63:
            return value
        reason = "value out of range"
    raise Invalid(
        f"invalid {name} parameter {go_quote(raw)} must be an integer: "
        f"strconv.ParseInt: parsing {go_quote(raw)}: {reason}"
    )


def list_params(args: Any, fields_all: list[str], fields_extra: list[str]) -> dict[str, Any]:
    """Validate a list request's `pattern`, `fields`, `offset`, `limit`, `script-format`, `dot-view`."""
    fields = (
        list(args.getlist("fields")) if hasattr(args, "getlist") else list(args.get("fields", []))
    )
    if fields:
        for f in fields:
            if f not in fields_all and f not in fields_extra:
                raise Invalid(f"unsupported field {go_quote(f)}")
        fields = list(dict.fromkeys(fields + ["id", "link"]))
    else:
        fields = list(fields_all)
    return {
        "pattern": args.get("pattern", "") or None,
        "fields": fields,
        "offset": max(0, _int_param("offset", args.get("offset"), 0)),
        "limit": _int_param("limit", args.get("limit"), 100),
        "script_format": script_format(args.get("script-format")),
        "dot_view": dot_view(args.get("dot-view")),
    }


def script_format(raw: str | None) -> str:
    if raw in (None, "", "formatted"):
        return "formatted"
    if raw == "raw":
        return "raw"
    raise Invalid(f"invalid script-format parameter {go_quote(raw)}")


def dot_view(raw: str | None) -> str:
    if raw in (None, "", "attributes"):
        return "attributes"
    if raw == "labels":
        return "labels"
    raise Invalid(f"invalid dot-view parameter {go_quote(raw)}")


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


def _dot(
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


class _Throughput:
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


# -- the service -------------------------------------------------------------------------------


class TaskService:
    """Creates, changes, lists and deletes tasks and templates; starts and stops them in the engine."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.store = services.store
        self._lock = trio.Lock()
        self._throughput = _Throughput()
        self._nursery: trio.Nursery | None = None
        #: The engine task each id last started; a watcher only speaks for the current one.
        self._current: dict[str, Any] = {}

    def _opts(self) -> dict[str, Any]:
        """`compile_task` keywords from the current config (`[deadman]`) and UDFs."""
        from kapacitrio.tasks.compileopts import compile_options

        return compile_options(self.services)

    @property
    def tm(self) -> Any:
        return self.services.taskmaster

    # -- engine
    async def _start(self, doc: dict[str, Any], pipeline: Pipeline) -> None:
        """Start (or restart) a task in the engine; a start failure is `Invalid` with its text."""
        from kapacitrio.engine.taskmaster import TaskStartError

        if self.tm is None:
            raise Internal("the engine is not running")
        dbrps = [(d["db"], d["rp"]) for d in doc["dbrps"]]
        try:
            task = self.tm.start_task(doc["id"], pipeline, dbrps)
            if inspect.isawaitable(task):
                task = await task
        except TaskStartError as exc:
            raise Invalid(str(exc)) from None
        doc["error"] = ""
        self._current[doc["id"]] = task
        _log.info("started task", task=doc["id"])
        if self._nursery is not None and hasattr(task, "finished"):
            self._nursery.start_soon(self._watch, doc["id"], task)

    async def run(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        """Own the nursery that watches running tasks (start with `nursery.start(svc.run)`)."""
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            task_status.started()
            await trio.sleep_forever()

    async def _watch(self, task_id: str, task: Any) -> None:
        """When a task stops on an error, keep the error on the stored task (`"error"`).

        Only while it is still the task's current run: a restart (or a delete) that got the lock
        first has already stored a fresh document, which an old run's error must not overwrite.
        """
        await task.finished.wait()
        error = getattr(task, "error", "")
        if not error:
            return
        _log.error("task finished with error", task=task_id, err=error)
        async with self._lock:
            if self._current.get(task_id) is not task:
                return
            doc = await self.store.get(TASKS, task_id)
            if doc is not None and doc.get("error") != error:
                doc["error"] = error
                await self.store.put(TASKS, task_id, doc)

    async def _stop(self, task_id: str) -> None:
        self._current.pop(task_id, None)
        if self.tm is None:
            return
        result = self.tm.stop_task(task_id)
        if inspect.isawaitable(result):
            await result

    def _info(self, task_id: str) -> dict[str, Any] | None:
        if self.tm is None:
            return None
        return self.tm.task_info(task_id)

    async def start_enabled(self) -> None:
        """Start every stored enabled task (at server start); failures are logged and recorded."""
        async with self._lock:
            await self._start_enabled()

    async def _start_enabled(self) -> None:
        for doc in await self.store.list(TASKS):
            if doc.get("status") != "enabled":
                continue
            had_error = doc.get("error", "")
            try:
                pipeline = compile_doc(
                    doc["script"], doc["type"], doc.get("vars") or {}, **self._opts()
                )
                await self._start(doc, pipeline)
            except (TickError, Invalid, Internal) as exc:
                _log.error("error starting enabled task", task=doc["id"], err=str(exc))
                doc["error"] = str(exc)
            if doc.get("error", "") != had_error:
                await self.store.put(TASKS, doc["id"], doc)

    async def counts(self) -> tuple[int, int]:
        """(number of tasks, number of enabled tasks)."""
        total = await self.store.count(TASKS)
        enabled = await self.store.count(TASKS, {"status": "enabled"})
        return total, enabled

    async def debug_stats(self) -> dict[str, Any]:
        """Per-task node statistics for `/debug/vars`, keyed like Kapacitor's expvar entries."""
        out: dict[str, Any] = {}
        for task_id in await self.store.ids(TASKS):
            info = self._info(task_id)
            if not info:
                continue
            for node, stats in (info.get("stats") or {}).items():
                out[f"nodes:task={task_id},node={node}"] = {
                    "name": "nodes",
                    "tags": {"task": task_id, "node": node, "host": self.services.config.hostname},
                    "values": stats,
                }
        return out

    # -- tasks: reading
    async def get_task_doc(self, task_id: str) -> dict[str, Any]:
        doc = await self.store.get(TASKS, task_id)
        if doc is None:
            raise NotFound("no task exists")
        return doc

    async def get_task(
        self, task_id: str, fmt: str = "formatted", view: str = "attributes"
    ) -> dict[str, Any]:
        return self.task_view(await self.get_task_doc(task_id), None, fmt, view)

    async def list_tasks(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        docs = await self.store.list(
            TASKS, pattern=params["pattern"], offset=params["offset"], limit=params["limit"]
        )
        return [
            self.task_view(d, params["fields"], params["script_format"], params["dot_view"])
            for d in docs
        ]

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
            return _dot(doc["id"], pipeline, info, labels=labels, throughput=rate)
        return _dot(doc["id"], pipeline)

    # -- tasks: changing
    async def create_task(self, opts: dict[str, Any]) -> dict[str, Any]:
        async with self._lock:
            doc, pipeline = await self._new_task_doc(opts)
            if doc["status"] == "enabled":
                await self._start(doc, pipeline)
            try:
                await self.store.put(TASKS, doc["id"], doc)
            except BaseException:
                if doc["status"] == "enabled":
                    with trio.CancelScope(shield=True):
                        await self._stop(doc["id"])
                raise
            _log.info("created task", task=doc["id"], status=doc["status"])
            return self.task_view(doc)

    async def _new_task_doc(self, opts: dict[str, Any]) -> tuple[dict[str, Any], Pipeline]:
        task_id = _opt_str(opts, "id") or str(uuid.uuid4())
        await self._check_free_id(TASKS, "task", task_id)
        template_id = _opt_str(opts, "template-id")
        typ = _opt_type(opts)
        script = _opt_script(opts)
        if template_id:
            tmpl = await self.store.get(TEMPLATES, template_id)
            if tmpl is None:
                raise Invalid(f"unknown template {template_id}: err: no template exists")
            typ, script = tmpl["type"], tmpl["script"]
        elif not script:
            raise Invalid("must provide TICKscript")
        dbrps = dbrps_from_api(opts.get("dbrps"))
        status = _opt_status(opts) or "disabled"
        vars_json = parse_vars(opts.get("vars"))
        if not typ:
            typ = infer_type(script, vars_json, **self._opts())
        pipeline = self._compile(script, typ, vars_json)
        dbrps = _merge_dbrps(pipeline, dbrps)
        now = now_text()
        doc = {
            "id": task_id,
            "template-id": template_id,
            "type": typ,
            "dbrps": dbrps,
            "script": script,
            "vars": vars_json,
            "status": status,
            "error": "",
            "created": now,
            "modified": now,
            "last-enabled": now if status == "enabled" else "",
        }
        return doc, pipeline

    def _compile(self, script: str, typ: str, vars_json: dict[str, Any]) -> Pipeline:
        try:
            return compile_doc(script, typ, vars_json, **self._opts())
        except TickError as exc:
            raise Invalid(f"invalid TICKscript: {exc}") from None

    async def update_task(self, task_id: str, opts: dict[str, Any]) -> dict[str, Any]:
        async with self._lock:
            original, updated = await self._copy_for_update(TASKS, "task", task_id, opts)
            await self._apply_script_opts(updated, opts)
            if opts.get("dbrps"):
                updated["dbrps"] = dbrps_from_api(opts["dbrps"])
            status = _opt_status(opts)
            if status:
                updated["status"] = status
            if opts.get("vars"):
                updated["vars"] = parse_vars(opts["vars"])
            pipeline = self._compile(updated["script"], updated["type"], updated["vars"])
            updated["dbrps"] = _merge_dbrps(pipeline, updated["dbrps"])
            now = now_text()
            updated["modified"] = now
            was, now_enabled = original["status"] == "enabled", updated["status"] == "enabled"
            if now_enabled and not was:
                updated["last-enabled"] = now
            await self._apply_task_change(original, updated, pipeline)
            _log.info("updated task", task=updated["id"], status=updated["status"])
            return self.task_view(updated)

    async def _copy_for_update(
        self, collection: str, kind: str, doc_id: str, opts: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Load a stored task or template and a copy carrying the rename in `opts` (lock held)."""
        original = await self.store.get(collection, doc_id)
        if original is None:
            raise NotFound(f"{kind} does not exist, cannot update")
        updated = copy.deepcopy(original)
        new_id = _opt_str(opts, "id")
        if new_id and new_id != doc_id:
            await self._check_free_id(collection, kind, new_id)
            updated["id"] = new_id
        return original, updated

    async def _check_free_id(self, collection: str, kind: str, doc_id: str) -> None:
        """Refuse an id that is malformed or already taken by another task or template."""
        check_id(kind, doc_id)
        if await self.store.get(collection, doc_id) is not None:
            raise Invalid(f"{kind} {doc_id} already exists")

    async def _apply_script_opts(self, updated: dict[str, Any], opts: dict[str, Any]) -> None:
        asked = _opt_str(opts, "template-id")
        template_id = asked or updated.get("template-id", "")
        typ = _opt_type(opts)
        script = _opt_script(opts)
        if template_id:
            tmpl = await self.store.get(TEMPLATES, template_id)
            if tmpl is None:
                # An orphan keeps its last definition, but it may not be (re)enabled.
                if asked or _opt_status(opts) == "enabled" or script or typ:
                    raise Invalid(f"unknown template {template_id}: err: no template exists")
                return
            updated.update(
                {"template-id": template_id, "type": tmpl["type"], "script": tmpl["script"]}
            )
            return
        if typ:
            updated["type"] = typ
        if script:
            updated["script"] = script

    async def _apply_task_change(
        self, original: dict[str, Any], updated: dict[str, Any], pipeline: Pipeline
    ) -> None:
        """Stop/(re)start the engine's task as the change needs, then store; undo on failure."""
        old_id, new_id = original["id"], updated["id"]
        was = original["status"] == "enabled"
        now_enabled = updated["status"] == "enabled"
        running = bool((self._info(old_id) or {}).get("executing"))
        moved = old_id != new_id
        need_start = now_enabled and (
            not was or moved or not running or _changed(original, updated)
        )
        if was and (not now_enabled or moved):
            await self._stop(old_id)
        if need_start:
            try:
                await self._start(updated, pipeline)
            except BaseException:
                with trio.CancelScope(shield=True):
                    await self._restore(original)
                raise
        try:
            async with self.store.transaction() as tx:
                if moved:
                    await tx.delete(TASKS, old_id)
                await tx.put(TASKS, new_id, updated)
        except BaseException:
            with trio.CancelScope(shield=True):
                if need_start:
                    await self._stop(new_id)
                await self._restore(original)
            raise

    async def _restore(self, original: dict[str, Any]) -> None:
        """Bring the engine back to a stored task's state (after a failed change)."""
        if original["status"] != "enabled":
            return
        try:
            pipeline = compile_doc(
                original["script"], original["type"], original.get("vars") or {}, **self._opts()
            )
            await self._start(original, pipeline)
        except (TickError, Invalid, Internal) as exc:
            _log.error("error restoring task", task=original["id"], err=str(exc))

    async def delete_task(self, task_id: str) -> None:
        async with self._lock:
            doc = await self.store.get(TASKS, task_id)
            if doc is None:
                return
            await self._stop(task_id)
            self._throughput.forget(task_id)
            await self.store.delete(TASKS, task_id)
            if self.services.alerts is not None:
                await self.services.alerts.forget_task(task_id)
            _log.info("deleted task", task=task_id)

    def http_out(self, task_id: str, endpoint: str) -> dict[str, Any] | None:
        """The current result of a task's httpOut endpoint, or None."""
        if self.tm is None:
            return None
        return self.tm.http_out(task_id, endpoint)

    # -- templates
    async def get_template_doc(self, template_id: str) -> dict[str, Any]:
        doc = await self.store.get(TEMPLATES, template_id)
        if doc is None:
            raise NotFound("no template exists")
        return doc

    async def get_template(self, template_id: str, fmt: str = "formatted") -> dict[str, Any]:
        return self.template_view(await self.get_template_doc(template_id), None, fmt)

    async def list_templates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        docs = await self.store.list(
            TEMPLATES, pattern=params["pattern"], offset=params["offset"], limit=params["limit"]
        )
        return [self.template_view(d, params["fields"], params["script_format"]) for d in docs]

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
                out[f] = _template_vars(pipeline)
            elif f == "dot":
                out[f] = _dot(doc["id"], pipeline)
            elif f == "error":
                out[f] = error
            elif f in ("created", "modified"):
                out[f] = doc.get(f) or ZERO_TIME
        return out

    async def create_template(self, opts: dict[str, Any]) -> dict[str, Any]:
        async with self._lock:
            template_id = _opt_str(opts, "id") or str(uuid.uuid4())
            await self._check_free_id(TEMPLATES, "template", template_id)
            typ = _opt_type(opts)
            script = _opt_script(opts)
            if not script:
                raise Invalid("must provide TICKscript")
            if not typ:
                typ = infer_type(script, {}, template=True, **self._opts())
            _validate_template(script, typ, self._opts())
            now = now_text()
            doc = {
                "id": template_id,
                "type": typ,
                "script": script,
                "error": "",
                "created": now,
                "modified": now,
            }
            await self.store.put(TEMPLATES, template_id, doc)
            _log.info("created template", template=template_id)
            return self.template_view(doc)

    async def update_template(self, template_id: str, opts: dict[str, Any]) -> dict[str, Any]:
        async with self._lock:
            original, updated = await self._copy_for_update(
                TEMPLATES, "template", template_id, opts
            )
            typ = _opt_type(opts)
            if typ:
                updated["type"] = typ
            script = _opt_script(opts)
            if script:
                updated["script"] = script
            _validate_template(updated["script"], updated["type"], self._opts())
            updated["modified"] = now_text()
            await self._reload_associated(original, updated)
            _log.info("updated template", template=updated["id"])
            return self.template_view(updated)

    async def _reload_associated(self, original: dict[str, Any], updated: dict[str, Any]) -> None:
        """Move every task made from the template to its new definition, all or nothing."""
        tasks = await self.store.list(TASKS, match={"template-id": original["id"]})
        new_docs: list[tuple[dict[str, Any], dict[str, Any], Pipeline]] = []
        for task in tasks:
            new = dict(
                task,
                **{
                    "template-id": updated["id"],
                    "type": updated["type"],
                    "script": updated["script"],
                },
            )
            try:
                pipeline = compile_doc(
                    new["script"], new["type"], new.get("vars") or {}, **self._opts()
                )
            except TickError as exc:
                raise Invalid(f"error reloading associated task {task['id']}: {exc}") from None
            new_docs.append((task, new, pipeline))
        restarted: list[dict[str, Any]] = []
        try:
            for old, new, pipeline in new_docs:
                if new["status"] == "enabled":
                    try:
                        await self._start(new, pipeline)
                    except Invalid as exc:
                        raise Invalid(
                            f"error reloading associated task {new['id']}: {exc}"
                        ) from None
                    restarted.append(old)
            async with self.store.transaction() as tx:
                if original["id"] != updated["id"]:
                    await tx.delete(TEMPLATES, original["id"])
                await tx.put(TEMPLATES, updated["id"], updated)
                for _, new, _ in new_docs:
                    await tx.put(TASKS, new["id"], new)
        except BaseException:
            with trio.CancelScope(shield=True):
                for old in restarted:
                    await self._restore(old)
            raise

    async def delete_template(self, template_id: str) -> None:
        """Delete a template; its tasks stay as they are, orphaned."""
        async with self._lock:
            if await self.store.delete(TEMPLATES, template_id):
                _log.info("deleted template", template=template_id)


def _validate_template(script: str, typ: str, opts: dict[str, Any]) -> None:
    try:
        compile_template(script, typ, **opts)
    except TickError as exc:
        raise Invalid(f"invalid TICKscript: {exc}") from None


def _template_vars(pipeline: Pipeline | None) -> dict[str, Any]:
    if pipeline is None:
        return {}
    from kapacitrio.pipeline.vars import vars_to_api

    return vars_to_api(pipeline.vars)


def _merge_dbrps(pipeline: Pipeline, explicit: list[dict[str, str]]) -> list[dict[str, str]]:
    """Kapacitor's rule for dbrps from the API and from `dbrp` statements in the script."""
    scripted = [{"db": db, "rp": rp} for db, rp in (pipeline.dbrps or [])]
    if not scripted and not explicit:
        raise Invalid("must specify at least one dbrp")
    if scripted and not explicit:
        return scripted
    if scripted and len(scripted) == len(explicit):
        as_set = {(d["db"], d["rp"]) for d in scripted}
        if as_set != {(d["db"], d["rp"]) for d in explicit}:
            raise Invalid(
                f"dbrps must match. Tickscript: {_go_dbrps(scripted)}, Explicit: {_go_dbrps(explicit)}"
            )
    return explicit


def _changed(a: dict[str, Any], b: dict[str, Any]) -> bool:
    keys = ("type", "script", "vars", "dbrps", "template-id")
    return any(a.get(k) != b.get(k) for k in keys)
