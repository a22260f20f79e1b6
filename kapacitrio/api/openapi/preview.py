"""Paths only the preview API (`/kapacitor/v1preview`) has: log tails, feeds, script checks, layout."""

from __future__ import annotations

from typing import Any

from kapacitrio.api.openapi.common import (
    STRING,
    array,
    json_body,
    kapacitor_errors,
    obj,
    ok,
    operation,
    path_param,
    ref,
)

#: Operations that never end by themselves (a log tail, a WebSocket feed): not for fuzzing.
STREAMING = ("tail_logs", "topic_feed", "all_topics_feed")


def _feed(op_id: str, summary: str, params: list[dict[str, Any]]) -> dict[str, Any]:
    return operation(
        op_id,
        summary,
        "alerts",
        {
            "101": {"description": "WebSocket: one JSON text message per event change"},
            **kapacitor_errors(404),
        },
        params,
        **{"x-websocket": True},
    )


def paths() -> dict[str, dict[str, Any]]:
    """Paths relative to `/kapacitor/v1preview`."""
    text = {"type": "string"}
    return {
        "/logs": {
            "get": operation(
                "tail_logs",
                "Tail the server's log; every query parameter is a key=value filter",
                "logs",
                {
                    "200": {
                        "description": "A stream of entries, logfmt or (with a JSON Content-Type) JSON",
                        "content": {
                            "text/plain": {"schema": text},
                            "application/json": {"schema": text},
                        },
                    }
                },
                [
                    {
                        "name": "filters",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "object", "additionalProperties": STRING},
                        "style": "form",
                        "explode": True,
                    }
                ],
            )
        },
        "/alerts/topics/feed": {"get": _feed("all_topics_feed", "Event changes of all topics", [])},
        "/alerts/topics/{topic}/feed": {
            "get": _feed(
                "topic_feed", "Event changes of one topic", [path_param("topic", "A topic id")]
            )
        },
        "/tasks/validate": {
            "post": operation(
                "validate_tickscript",
                "Check a TICKscript as defining a task would, storing nothing",
                "tasks",
                {"200": ok("The verdict", ref("TickscriptVerdict")), **kapacitor_errors(400)},
                body=json_body(ref("TickscriptCheck")),
            )
        },
        "/tasks/format": {
            "post": operation(
                "format_tickscript",
                "Format a TICKscript in the canonical layout",
                "tasks",
                {
                    "200": ok("The formatted script", obj({"script": STRING}, ["script"])),
                    **kapacitor_errors(400),
                },
                body=json_body(obj({"script": STRING}, ["script"])),
            )
        },
        "/dag/layout": {
            "post": operation(
                "dag_layout",
                "Box and edge positions for a DOT graph",
                "tasks",
                {"200": ok("The layout", {"type": "object"}), **kapacitor_errors(400)},
                body=json_body(ref("DagLayoutRequest")),
            )
        },
        "/cluster": {
            "get": operation(
                "cluster_status",
                "Cluster members, where each task runs and each task feed's lag "
                "(404 when clustering is off)",
                "misc",
                {
                    "200": ok(
                        "The cluster as this instance sees it",
                        obj(
                            {
                                "instance": STRING,
                                "fenced": {"type": "boolean"},
                                "nats-connected": {"type": "boolean"},
                                "members": array({"type": "object"}),
                                "tasks": array({"type": "object"}),
                            },
                            ["instance", "members", "tasks"],
                        ),
                    ),
                    **kapacitor_errors(404),
                },
            )
        },
        "/openapi.json": {
            "get": operation(
                "openapi",
                "This document",
                "misc",
                {"200": ok("The OpenAPI document", {"type": "object"})},
            )
        },
    }
