"""Kapacitor API paths: writing data, tasks, templates, recordings and replays."""

from __future__ import annotations

from typing import Any

from kapacitrio.api.openapi.common import (
    ANY,
    array,
    json_body,
    kapacitor_errors,
    no_content,
    obj,
    ok,
    operation,
    path_param,
    query,
    ref,
)

_PATTERN = query("pattern", "Shell glob on the id")
_FIELDS = {
    "name": "fields",
    "in": "query",
    "required": False,
    "description": "Fields to return (repeatable); `id` and `link` always come back",
    "schema": {"type": "array", "items": {"type": "string"}},
    "style": "form",
    "explode": True,
}
_OFFSET = query("offset", "Pagination offset", {"type": "integer", "minimum": 0})
_LIMIT = query("limit", "Maximum number of results", {"type": "integer", "minimum": 1})
_SCRIPT_FORMAT = query(
    "script-format", "How scripts come back", {"type": "string", "enum": ["formatted", "raw"]}
)
_DOT_VIEW = query(
    "dot-view", "How the DOT is labelled", {"type": "string", "enum": ["attributes", "labels"]}
)
_LIST = [_PATTERN, _FIELDS, _OFFSET, _LIMIT]


def _write() -> dict[str, Any]:
    params = [
        query("db", "Database of the points"),
        query("rp", "Retention policy (default: the configured default)"),
        query(
            "precision",
            "Timestamp unit",
            {"type": "string", "enum": ["n", "ns", "u", "us", "ms", "s", "m", "h"]},
        ),
    ]
    body = {
        "required": True,
        "content": {"text/plain": {"schema": {"type": "string"}}},
        "description": "InfluxDB line protocol, optionally gzip-compressed",
    }
    return {
        "post": operation(
            "write",
            "Write points in line protocol",
            "write",
            {"204": no_content("Written"), **kapacitor_errors(400, 413)},
            params,
            body,
        )
    }


def _crud(
    name: str, plural: str, schema: str, options: str, extra_get: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """The list/create/get/patch/delete paths shared by tasks and templates."""
    item = path_param(f"{name}_id", f"The {name}'s id")
    tag = plural
    return {
        f"/{plural}": {
            "get": operation(
                f"list_{plural}",
                f"List {plural}",
                tag,
                {
                    "200": ok(plural, obj({plural: array(ref(schema))}, [plural])),
                    **kapacitor_errors(400),
                },
                _LIST + [_SCRIPT_FORMAT] + ([_DOT_VIEW] if name == "task" else []),
            ),
            "post": operation(
                f"create_{name}",
                f"Define a {name}",
                tag,
                {"200": ok(f"The new {name}", ref(schema)), **kapacitor_errors(400, 404)},
                body=json_body(ref(options)),
            ),
        },
        f"/{plural}/{{{name}_id}}": {
            "parameters": [item],
            "get": operation(
                f"get_{name}",
                f"Show a {name}",
                tag,
                {"200": ok(f"The {name}", ref(schema)), **kapacitor_errors(400, 404)},
                [_SCRIPT_FORMAT, *extra_get],
            ),
            "patch": operation(
                f"update_{name}",
                f"Change a {name}",
                tag,
                {"200": ok(f"The changed {name}", ref(schema)), **kapacitor_errors(400, 404)},
                body=json_body(ref(options)),
            ),
            "delete": operation(
                f"delete_{name}",
                f"Delete a {name}",
                tag,
                {"204": no_content(), **kapacitor_errors(400, 404)},
            ),
        },
    }


def _recordings() -> dict[str, dict[str, Any]]:
    rec = path_param("recording_id", "The recording's id")
    started = {"201": ok("Started", ref("Recording")), **kapacitor_errors(400, 404)}
    paths: dict[str, dict[str, Any]] = {
        "/recordings": {
            "get": operation(
                "list_recordings",
                "List recordings",
                "recordings",
                {
                    "200": ok("Recordings", obj({"recordings": array(ref("Recording"))})),
                    **kapacitor_errors(400),
                },
                _LIST,
            )
        },
        "/recordings/{recording_id}": {
            "parameters": [rec],
            "get": operation(
                "get_recording",
                "Show a recording (202 while it runs)",
                "recordings",
                {
                    "200": ok("Finished or failed", ref("Recording")),
                    "202": ok("Still recording", ref("Recording")),
                    **kapacitor_errors(400, 404),
                },
            ),
            "delete": operation(
                "delete_recording",
                "Delete a recording",
                "recordings",
                {"204": no_content(), **kapacitor_errors(400, 404)},
            ),
        },
    }
    for kind in ("stream", "batch", "query"):
        paths[f"/recordings/{kind}"] = {
            "post": operation(
                f"record_{kind}",
                f"Start a {kind} recording",
                "recordings",
                started,
                body=json_body(ref(f"{kind.capitalize()}RecordingOptions")),
            )
        }
    return paths


def _replays() -> dict[str, dict[str, Any]]:
    rep = path_param("replay_id", "The replay's id")
    started = {"201": ok("Started", ref("Replay")), **kapacitor_errors(400, 404)}
    return {
        "/replays": {
            "get": operation(
                "list_replays",
                "List replays",
                "replays",
                {
                    "200": ok("Replays", obj({"replays": array(ref("Replay"))})),
                    **kapacitor_errors(400),
                },
                _LIST,
            ),
            "post": operation(
                "replay_recording",
                "Replay a recording against a task",
                "replays",
                started,
                body=json_body(ref("ReplayOptions")),
            ),
        },
        "/replays/batch": {
            "post": operation(
                "replay_batch",
                "Replay a batch task's queries",
                "replays",
                started,
                body=json_body(ref("BatchReplayOptions")),
            )
        },
        "/replays/query": {
            "post": operation(
                "replay_query",
                "Replay the result of a query",
                "replays",
                started,
                body=json_body(ref("QueryReplayOptions")),
            )
        },
        "/replays/{replay_id}": {
            "parameters": [rep],
            "get": operation(
                "get_replay",
                "Show a replay (202 while it runs)",
                "replays",
                {
                    "200": ok("Finished or failed", ref("Replay")),
                    "202": ok("Still replaying", ref("Replay")),
                    **kapacitor_errors(400, 404),
                },
            ),
            "delete": operation(
                "delete_replay",
                "Delete a replay",
                "replays",
                {"204": no_content(), **kapacitor_errors(400, 404)},
            ),
        },
    }


def paths() -> dict[str, dict[str, Any]]:
    """Paths relative to the API base (`/kapacitor/v1`)."""
    http_out = {
        "parameters": [
            path_param("task_id", "The task's id"),
            path_param("endpoint", "The httpOut node's endpoint name"),
        ],
        "get": operation(
            "task_http_out",
            "The last result of a task's httpOut node",
            "tasks",
            {"200": ok("The node's last result", ANY), **kapacitor_errors(400, 404)},
        ),
    }
    out: dict[str, dict[str, Any]] = {"/write": _write()}
    out.update(
        _crud(
            "task",
            "tasks",
            "Task",
            "TaskOptions",
            [_DOT_VIEW, query("replay-id", "Show the task as a running replay sees it")],
        )
    )
    out["/tasks/{task_id}/{endpoint}"] = http_out
    out.update(_crud("template", "templates", "Template", "TemplateOptions", []))
    out.update(_recordings())
    out.update(_replays())
    return out
