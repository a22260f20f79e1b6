"""Compiling task and template scripts, inferring their type, and Kapacitor's dbrp rule."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kapacitrio.tasks.errors import Invalid
from kapacitrio.tick.errors import TickError

if TYPE_CHECKING:
    from kapacitrio.pipeline.spec import Pipeline


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


def go_dbrps(dbrps: list[dict[str, str]]) -> str:
    return "[" + " ".join(f"{{{d['db']} {d['rp']}}}" for d in dbrps) + "]"


def validate_template(script: str, typ: str, opts: dict[str, Any]) -> None:
    try:
        compile_template(script, typ, **opts)
    except TickError as exc:
        raise Invalid(f"invalid TICKscript: {exc}") from None


def template_vars(pipeline: Pipeline | None) -> dict[str, Any]:
    if pipeline is None:
        return {}
    from kapacitrio.pipeline.vars import vars_to_api

    return vars_to_api(pipeline.vars)


def merge_dbrps(pipeline: Pipeline, explicit: list[dict[str, str]]) -> list[dict[str, str]]:
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
                f"dbrps must match. Tickscript: {go_dbrps(scripted)}, Explicit: {go_dbrps(explicit)}"
            )
    return explicit
