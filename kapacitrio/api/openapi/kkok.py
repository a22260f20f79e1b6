"""Root paths: the kkok REST API (text/plain errors) and the web UI's pages."""

from __future__ import annotations

from typing import Any

from kapacitrio.api.openapi.common import (
    TEXT,
    array,
    json_body,
    kkok_errors,
    ok,
    operation,
    path_param,
    ref,
)

_EMPTY = ok("Done (an empty text/plain body)", {"type": "string", "maxLength": 0}, TEXT)
_ID = path_param("id", "Filter or route id", {"type": "string", "pattern": "^[a-zA-Z0-9_-]+$"})


def _kkok() -> dict[str, dict[str, Any]]:
    tag = "kkok"
    return {
        "/version": {
            "get": operation(
                "kkok_version", "The version", tag, {"200": ok("Version", {"type": "string"}, TEXT)}
            )
        },
        "/alerts": {
            "get": operation(
                "kkok_list_alerts",
                "Pending alerts",
                tag,
                {"200": ok("Pending alerts", array(ref("KkokAlert")))},
            ),
            "post": operation(
                "kkok_post_alert",
                "Post an alert",
                tag,
                {"200": _EMPTY, **kkok_errors(400, 413, 415)},
                body=json_body(ref("KkokAlertIn")),
            ),
        },
        "/filters": {
            "get": operation(
                "kkok_list_filters", "Filter ids, in order", tag, {"200": ok("Ids", ref("Ids"))}
            )
        },
        "/filters/{id}": {
            "parameters": [_ID],
            "get": operation(
                "kkok_get_filter",
                "One filter",
                tag,
                {"200": ok("The filter", ref("KkokFilterView")), **kkok_errors(400, 404)},
            ),
            "put": operation(
                "kkok_put_filter",
                "Create or replace a filter",
                tag,
                {"200": _EMPTY, **kkok_errors(400, 413, 415)},
                body=json_body(ref("KkokFilter")),
            ),
            "delete": operation(
                "kkok_delete_filter",
                "Delete a filter",
                tag,
                {"200": _EMPTY, **kkok_errors(400, 404)},
            ),
        },
        "/filters/{id}/enable": _filter_action("enable", "Enable (and activate) a filter"),
        "/filters/{id}/disable": _filter_action("disable", "Disable a filter"),
        "/filters/{id}/inactivate": _filter_action(
            "inactivate", "Inactivate a filter until a time", ref("KkokInactivate")
        ),
        "/routes": {
            "get": operation("kkok_list_routes", "Route ids", tag, {"200": ok("Ids", ref("Ids"))})
        },
        "/routes/{id}": {
            "parameters": [_ID],
            "get": operation(
                "kkok_get_route",
                "One route's transports",
                tag,
                {"200": ok("The route", ref("KkokRoute")), **kkok_errors(400, 404)},
            ),
            "put": operation(
                "kkok_put_route",
                "Create or replace a route",
                tag,
                {"200": _EMPTY, **kkok_errors(400, 413, 415)},
                body=json_body(ref("KkokRoute")),
            ),
        },
    }


def _filter_action(action: str, summary: str, body: dict[str, Any] | None = None) -> dict:
    codes = (400, 404, 413, 415) if body else (400, 404)
    return {
        "parameters": [_ID],
        "put": operation(
            f"kkok_{action}_filter",
            summary,
            "kkok",
            {"200": _EMPTY, **kkok_errors(*codes)},
            body=json_body(body) if body else None,
        ),
    }


def _ui() -> dict[str, dict[str, Any]]:
    html = {"type": "string"}
    return {
        "/": {
            "get": operation(
                "ui_index", "The web UI", "ui", {"200": ok("The page", html, "text/html")}
            )
        },
        "/ui": {
            "get": operation(
                "ui_root",
                "Redirects to the web UI",
                "ui",
                {"302": {"description": "To /"}},
            )
        },
        "/ui/{name}": {
            "parameters": [path_param("name", "A static file of the UI")],
            "get": operation(
                "ui_static",
                "A static file of the web UI",
                "ui",
                {
                    "200": {"description": "The file", "content": {"*/*": {"schema": html}}},
                    "404": ok("No such file", ref("Error")),
                },
            ),
        },
    }


def is_kkok_api(path: str) -> bool:
    """Whether a document path belongs to the kkok API (text/plain errors)."""
    return path in _kkok()


def paths() -> dict[str, dict[str, Any]]:
    """Root paths."""
    return {**_kkok(), **_ui()}
