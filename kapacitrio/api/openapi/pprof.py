"""The `/debug/pprof` paths (served only with `[http] pprof-enabled`; 404 otherwise)."""

from __future__ import annotations

from typing import Any

from kapacitrio.api.openapi.common import TEXT, kapacitor_errors, ok, operation, query

_SECONDS = query(
    "seconds", "How long to profile (whole seconds)", {"type": "integer", "minimum": 1}
)
_TEXT = {"type": "string"}


def paths() -> dict[str, dict[str, Any]]:
    tag = "debug"
    off = kapacitor_errors(404)  # pprof-enabled is off

    def get(op_id: str, summary: str, responses: dict[str, Any], params=None) -> dict[str, Any]:
        return {"get": operation(op_id, summary, tag, {**responses, **off}, params)}

    return {
        "/debug/pprof": get(
            "pprof_index", "Index of the profiles", {"200": ok("Index", _TEXT, "text/html")}
        ),
        "/debug/pprof/profile": get(
            "pprof_profile",
            "CPU profile of the event loop: collapsed stacks or speedscope JSON",
            {
                "200": {
                    "description": "The profile",
                    "content": {
                        TEXT: {"schema": _TEXT},
                        "application/json": {"schema": {"type": "object"}},
                    },
                },
                **kapacitor_errors(400, 409),
            },
            [
                _SECONDS,
                query(
                    "format",
                    "Output format",
                    {"type": "string", "enum": ["collapsed", "speedscope"]},
                ),
            ],
        ),
        "/debug/pprof/heap": get(
            "pprof_heap",
            "Top allocation sites (tracemalloc)",
            {"200": ok("Allocation sites", _TEXT, TEXT), **kapacitor_errors(400, 409)},
            [_SECONDS],
        ),
        "/debug/pprof/goroutine": get(
            "pprof_goroutine",
            "The Trio task tree with each task's stack",
            {"200": ok("Task tree", _TEXT, TEXT)},
        ),
        "/debug/pprof/cmdline": get(
            "pprof_cmdline", "The command line", {"200": ok("Arguments", _TEXT, TEXT)}
        ),
    }
