"""`POST /tasks/validate` and `/tasks/format` (preview API): check or format a TICKscript, store nothing.

`validate` compiles the script exactly as defining a task would (parse, method resolution, vars,
node properties) and answers 200 either way: `{"valid": true, "type", "dbrps", "dot"}` or
`{"valid": false, "error", "line", "char"}` (line and char are 0 when the error names no place).
`format` answers `{"script": ...}` in Kapacitor's canonical layout, or a 400 `{"error"}` naming the line and char.
"""

from __future__ import annotations

import re
from typing import Any

from quart import Blueprint, Response, jsonify, request

from kapacitrio.api.app import services
from kapacitrio.api.errors import ApiError, json_object
from kapacitrio.serviceerrors import ServiceError
from kapacitrio.tasks.compileopts import compile_options
from kapacitrio.tasks.compiling import compile_doc, compile_template, infer_type
from kapacitrio.tasks.params import parse_vars
from kapacitrio.tick.errors import TickError

bp = Blueprint("tickcheck", __name__)
TYPES = ("stream", "batch")
PREVIEW_ONLY = True

#: The longest script accepted (the same order as a task body may be).
MAX_SCRIPT_CHARS = 1024 * 1024
_PLACE = re.compile(r"line (\d+) char (\d+)")


def _script(body: dict[str, Any]) -> str:
    script = body.get("script", "")
    if not isinstance(script, str):
        raise ApiError(400, "invalid JSON")
    if len(script) > MAX_SCRIPT_CHARS:
        raise ApiError(400, f"script is longer than {MAX_SCRIPT_CHARS} characters")
    return script


def _place(message: str) -> tuple[int, int]:
    m = _PLACE.search(message)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def _failure(message: str) -> dict[str, Any]:
    line, char = _place(message)
    return {"valid": False, "error": message, "line": line, "char": char}


@bp.route("/tasks/validate", methods=["POST"])
async def validate() -> Response:
    body = await json_object(request)
    script = _script(body)
    typ = body.get("type", "") or ""
    if typ not in ("", *TYPES):
        raise ApiError(400, f"invalid task type {typ!r}")
    template = body.get("template", False)
    if not isinstance(template, bool):
        raise ApiError(400, "invalid JSON")
    try:
        vars_json = parse_vars(body.get("vars"))
    except ServiceError as exc:
        return jsonify(_failure(str(exc)))
    if not script.strip():
        return jsonify(_failure("must provide TICKscript"))
    opts = compile_options(services())
    if not typ:
        typ = infer_type(script, vars_json, template=template, **opts)
    try:
        if template:
            pipeline = compile_template(script, typ, **opts)
        else:
            pipeline = compile_doc(script, typ, vars_json, **opts)
    except TickError as exc:
        return jsonify(_failure(f"invalid TICKscript: {exc}"))
    return jsonify({"valid": True, "type": typ, **_shape(pipeline, body.get("id"))})


def _shape(pipeline: Any, task_id: Any) -> dict[str, Any]:
    """The dbrps the script names and its static DOT."""
    from kapacitrio.pipeline.dot import dot

    name = task_id if isinstance(task_id, str) and task_id else "script"
    dbrps = [{"db": db, "rp": rp} for db, rp in getattr(pipeline, "dbrps", None) or []]
    return {"dbrps": dbrps, "dot": dot(name, pipeline)}


@bp.route("/tasks/format", methods=["POST"])
async def format_tickscript() -> Response:
    from kapacitrio.tick.format import format_script

    body = await json_object(request)
    script = _script(body)
    try:
        return jsonify({"script": format_script(script)})
    except TickError as exc:
        raise ApiError(400, str(exc)) from None
