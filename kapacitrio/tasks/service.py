"""Tasks and templates (`services.tasks`): validated changes, stored documents, the engine's tasks.

Stored documents (kind `tasks` and `templates`) keep what the user defined; executing state comes from
the TaskMaster. Every change is validated in full (script, vars, dbrps) before anything is stored or
started, so a rejected request changes nothing. Mutations are serialised by one lock. The parts:
`tasks.running` (engine link and lock), `tasks.views` (API views), `tasks.templates` (template
requests), `tasks.params` (request options), `tasks.compiling`, `tasks.ids`.
"""

from __future__ import annotations

import copy
import uuid
from typing import TYPE_CHECKING, Any

import trio

from kapacitrio.logs import get_logger
from kapacitrio.tasks.compiling import compile_doc, infer_type, merge_dbrps
from kapacitrio.tasks.errors import Invalid, NotFound
from kapacitrio.tasks.ids import TASKS, TEMPLATES, check_id, now_text
from kapacitrio.tasks.params import (
    dbrps_from_api,
    opt_script,
    opt_status,
    opt_str,
    opt_type,
    parse_vars,
)
from kapacitrio.tasks.running import TaskRunner
from kapacitrio.tasks.templates import TemplateOps
from kapacitrio.tasks.views import TaskViews
from kapacitrio.tick.errors import TickError

if TYPE_CHECKING:
    from kapacitrio.pipeline.spec import Pipeline

_log = get_logger("task_store")


class TaskService(TaskRunner, TaskViews, TemplateOps):
    """Creates, changes, lists and deletes tasks and templates; starts and stops them in the engine."""

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
        return self.list_views(await self.list_task_docs(params), params)

    async def list_task_docs(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """The stored tasks of one list page (`pattern`, `offset`, `limit`)."""
        return await self.store.list(
            TASKS, pattern=params["pattern"], offset=params["offset"], limit=params["limit"]
        )

    def list_views(
        self, docs: list[dict[str, Any]], params: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return [
            self.task_view(d, params["fields"], params["script_format"], params["dot_view"])
            for d in docs
        ]

    # -- tasks: changing
    async def create_task(self, opts: dict[str, Any]) -> dict[str, Any]:
        opts = dict(opts, id=opt_str(opts, "id") or str(uuid.uuid4()))
        async with self._task_lock(opts["id"], templates=[opt_str(opts, "template-id")]):
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
        task_id = opt_str(opts, "id") or str(uuid.uuid4())
        await self._check_free_id(TASKS, "task", task_id)
        template_id = opt_str(opts, "template-id")
        typ = opt_type(opts)
        script = opt_script(opts)
        if template_id:
            tmpl = await self.store.get(TEMPLATES, template_id)
            if tmpl is None:
                raise Invalid(f"unknown template {template_id}: err: no template exists")
            typ, script = tmpl["type"], tmpl["script"]
        elif not script:
            raise Invalid("must provide TICKscript")
        dbrps = dbrps_from_api(opts.get("dbrps"))
        status = opt_status(opts) or "disabled"
        vars_json = parse_vars(opts.get("vars"))
        if not typ:
            typ = infer_type(script, vars_json, **self._opts())
        pipeline = self._compile(script, typ, vars_json)
        dbrps = merge_dbrps(pipeline, dbrps)
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
        ids = (task_id, opt_str(opts, "id"))
        async with self._task_lock(*ids, templates=[opt_str(opts, "template-id")]):
            original, updated = await self._copy_for_update(TASKS, "task", task_id, opts)
            await self._apply_script_opts(updated, opts)
            if opts.get("dbrps"):
                updated["dbrps"] = dbrps_from_api(opts["dbrps"])
            status = opt_status(opts)
            if status:
                updated["status"] = status
            if opts.get("vars"):
                updated["vars"] = parse_vars(opts["vars"])
            pipeline = self._compile(updated["script"], updated["type"], updated["vars"])
            updated["dbrps"] = merge_dbrps(pipeline, updated["dbrps"])
            now = now_text()
            updated["modified"] = now
            was, now_enabled = original["status"] == "enabled", updated["status"] == "enabled"
            if now_enabled and not was:
                updated["last-enabled"] = now
            try:
                await self._apply_task_change(original, updated, pipeline)
            except Invalid as exc:
                if now_enabled:  # a refused start leaves the task as it was, with the reason
                    await self._record_error(original, str(exc))
                raise
            _log.info("updated task", task=updated["id"], status=updated["status"])
            return self.task_view(updated)

    async def _record_error(self, doc: dict[str, Any], error: str) -> None:
        """Keep why a start was refused on the stored (unchanged) task, as its `error`."""
        if doc.get("error") != error:
            with trio.CancelScope(shield=True):
                await self.store.put(TASKS, doc["id"], dict(doc, error=error))

    async def _copy_for_update(
        self, collection: str, kind: str, doc_id: str, opts: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Load a stored task or template and a copy carrying the rename in `opts` (lock held)."""
        original = await self.store.get(collection, doc_id)
        if original is None:
            raise NotFound(f"{kind} does not exist, cannot update")
        updated = copy.deepcopy(original)
        new_id = opt_str(opts, "id")
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
        asked = opt_str(opts, "template-id")
        template_id = asked or updated.get("template-id", "")
        typ = opt_type(opts)
        script = opt_script(opts)
        if template_id:
            tmpl = await self.store.get(TEMPLATES, template_id)
            if tmpl is None:
                # An orphan keeps its last definition, but it may not be (re)enabled.
                if asked or opt_status(opts) == "enabled" or script or typ:
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

    async def delete_task(self, task_id: str) -> None:
        async with self._task_lock(task_id):
            doc = await self.store.get(TASKS, task_id)
            if doc is None:
                return
            await self._stop(task_id)
            self._throughput.forget(task_id)
            await self.store.delete(TASKS, task_id)
            if self.services.alerts is not None:
                await self.services.alerts.forget_task(task_id)
            udfs = self.services.extra.get("udfs")
            if udfs is not None:  # its UDF nodes' snapshots
                await udfs.forget_task(task_id)
            _log.info("deleted task", task=task_id)


def _changed(a: dict[str, Any], b: dict[str, Any]) -> bool:
    keys = ("type", "script", "vars", "dbrps", "template-id")
    return any(a.get(k) != b.get(k) for k in keys)
