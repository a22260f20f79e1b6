"""Template operations of the task service: create, update (reloading its tasks), delete."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import trio

from kapacitrio.logs import get_logger
from kapacitrio.tasks.compiling import compile_doc, infer_type, validate_template
from kapacitrio.tasks.errors import Invalid, NotFound
from kapacitrio.tasks.ids import TASKS, TEMPLATES, now_text
from kapacitrio.tasks.params import opt_script, opt_str, opt_type
from kapacitrio.tick.errors import TickError

if TYPE_CHECKING:
    from kapacitrio.pipeline.spec import Pipeline

_log = get_logger("task_store")


class TemplateOps:
    """Template requests (mixed into `TaskService`; uses its locks, store and engine link)."""

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

    async def create_template(self, opts: dict[str, Any]) -> dict[str, Any]:
        template_id = opt_str(opts, "id") or str(uuid.uuid4())
        async with self._template_lock(template_id):
            await self._check_free_id(TEMPLATES, "template", template_id)
            typ = opt_type(opts)
            script = opt_script(opts)
            if not script:
                raise Invalid("must provide TICKscript")
            if not typ:
                typ = infer_type(script, {}, template=True, **self._opts())
            validate_template(script, typ, self._opts())
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
        async with self._template_lock(template_id, opt_str(opts, "id")):
            original, updated = await self._copy_for_update(
                TEMPLATES, "template", template_id, opts
            )
            typ = opt_type(opts)
            if typ:
                updated["type"] = typ
            script = opt_script(opts)
            if script:
                updated["script"] = script
            validate_template(updated["script"], updated["type"], self._opts())
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
        async with self._template_lock(template_id):
            if await self.store.delete(TEMPLATES, template_id):
                _log.info("deleted template", template=template_id)
