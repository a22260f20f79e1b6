"""Kapacitor API paths: alerts, configuration, storage, service tests, users and the rest."""

from __future__ import annotations

from typing import Any

from kapacitrio.api.openapi.common import (
    ANY,
    STRING,
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

_MIN_LEVEL = query(
    "min-level",
    "Only topics or events at this level or above",
    {"type": "string", "enum": ["OK", "INFO", "WARNING", "CRITICAL"]},
)
_PATTERN = query("pattern", "Shell glob on the id")
_TOPIC = path_param("topic", "The topic's id")
_HANDLER = path_param("handler", "The handler's id")


def _alerts() -> dict[str, dict[str, Any]]:
    tag = "alerts"
    return {
        "/alerts/topics": {
            "get": operation(
                "list_topics",
                "List topics",
                tag,
                {"200": ok("Topics", ref("Topics")), **kapacitor_errors(400)},
                [_MIN_LEVEL, _PATTERN],
            )
        },
        "/alerts/topics/{topic}": {
            "parameters": [_TOPIC],
            "get": operation(
                "get_topic",
                "A topic's state",
                tag,
                {"200": ok("The topic", ref("Topic")), **kapacitor_errors(400, 404)},
            ),
            "delete": operation(
                "delete_topic",
                "Delete a topic and its events",
                tag,
                {"204": no_content(), **kapacitor_errors(400, 404)},
            ),
        },
        "/alerts/topics/{topic}/events": {
            "parameters": [_TOPIC],
            "get": operation(
                "list_events",
                "A topic's events",
                tag,
                {"200": ok("Events", ref("Events")), **kapacitor_errors(400, 404)},
                [_MIN_LEVEL],
            ),
        },
        "/alerts/topics/{topic}/events/{event}": {
            "parameters": [_TOPIC, path_param("event", "The event's id")],
            "get": operation(
                "get_event",
                "One event of a topic",
                tag,
                {"200": ok("The event", ref("Event")), **kapacitor_errors(400, 404)},
            ),
        },
        "/alerts/topics/{topic}/handlers": {
            "parameters": [_TOPIC],
            "get": operation(
                "list_handlers",
                "A topic's handlers",
                tag,
                {"200": ok("Handlers", ref("Handlers")), **kapacitor_errors(400, 404)},
                [_PATTERN],
            ),
            "post": operation(
                "create_handler",
                "Add a handler to a topic",
                tag,
                {"200": ok("The new handler", ref("Handler")), **kapacitor_errors(400, 404)},
                body=json_body(ref("HandlerOptions")),
            ),
        },
        "/alerts/topics/{topic}/handlers/{handler}": {
            "parameters": [_TOPIC, _HANDLER],
            "get": operation(
                "get_handler",
                "One handler",
                tag,
                {"200": ok("The handler", ref("Handler")), **kapacitor_errors(400, 404)},
            ),
            "put": operation(
                "replace_handler",
                "Replace (or rename) a handler",
                tag,
                {"200": ok("The handler", ref("Handler")), **kapacitor_errors(400, 404)},
                body=json_body(ref("HandlerOptions")),
            ),
            "patch": operation(
                "patch_handler",
                "Change a handler with a JSON patch",
                tag,
                {"200": ok("The handler", ref("Handler")), **kapacitor_errors(400, 404)},
                body=json_body(ref("JSONPatch")),
            ),
            "delete": operation(
                "delete_handler",
                "Remove a handler",
                tag,
                {"204": no_content(), **kapacitor_errors(400, 404)},
            ),
        },
    }


def _config() -> dict[str, dict[str, Any]]:
    tag = "config"
    section = path_param("section", "A configuration section")
    element = path_param("element", "An element of a list section")

    def update(op_id: str) -> dict[str, Any]:
        return operation(
            op_id,
            "Set, delete, add or remove overrides",
            tag,
            {"204": no_content("Applied"), **kapacitor_errors(400, 403, 404)},
            body=json_body(ref("ConfigUpdate")),
        )

    return {
        "/config": {
            "get": operation(
                "get_config",
                "Every overridable section, secrets redacted",
                tag,
                {"200": ok("The configuration", ref("Config")), **kapacitor_errors(403)},
            ),
            "post": operation(
                "update_config_root",
                "Refused: a section is required",
                tag,
                {**kapacitor_errors(400, 403)},
                body=json_body(ref("ConfigUpdate")),
            ),
        },
        "/config/{section}": {
            "parameters": [section],
            "get": operation(
                "get_config_section",
                "One section",
                tag,
                {"200": ok("The section", ref("ConfigSection")), **kapacitor_errors(400, 403, 404)},
            ),
            "post": update("update_config_section"),
        },
        "/config/{section}/{element}": {
            "parameters": [section, element],
            "get": operation(
                "get_config_element",
                "One element of a section",
                tag,
                {"200": ok("The element", ref("ConfigElement")), **kapacitor_errors(400, 403, 404)},
            ),
            "post": update("update_config_element"),
        },
    }


def _storage() -> dict[str, dict[str, Any]]:
    tag = "storage"
    return {
        "/storage/backup": {
            "get": operation(
                "backup",
                "A consistent copy of the database",
                tag,
                {
                    "200": ok(
                        "The SQLite database file",
                        {"type": "string", "format": "binary"},
                        "application/octet-stream",
                    ),
                    **kapacitor_errors(500),
                },
            )
        },
        "/storage/stores": {
            "get": operation(
                "list_stores",
                "The stores",
                tag,
                {"200": ok("Store names", obj({"stores": array(STRING)}, ["stores"]))},
            )
        },
        "/storage/stores/{name}": {
            "parameters": [path_param("name", "A store")],
            "post": operation(
                "store_action",
                "Run an action (rebuild) on a store",
                tag,
                {"204": no_content(), **kapacitor_errors(400, 404)},
                body=json_body(
                    obj({"action": {"type": "string", "enum": ["rebuild"]}}, ["action"])
                ),
            ),
        },
    }


def _service_tests() -> dict[str, dict[str, Any]]:
    tag = "service-tests"
    name = path_param("name", "A service")
    return {
        "/service-tests": {
            "get": operation(
                "list_service_tests",
                "Testable services and their default options",
                tag,
                {"200": ok("Services", ref("ServiceTests"))},
                [_PATTERN],
            )
        },
        "/service-tests/{name}": {
            "parameters": [name],
            "get": operation(
                "get_service_test",
                "One service's test options",
                tag,
                {"200": ok("The service", ref("ServiceTest")), **kapacitor_errors(404)},
            ),
            "post": operation(
                "run_service_test",
                "Run a service's test with these options",
                tag,
                {"200": ok("The outcome", ref("ServiceTestResult")), **kapacitor_errors(400, 404)},
                body=json_body({"type": "object"}, required=False),
            ),
        },
    }


def _users() -> dict[str, dict[str, Any]]:
    tag = "users"
    name = path_param("name", "A user name")
    return {
        "/users": {
            "get": operation(
                "list_users",
                "List users",
                tag,
                {
                    "200": ok("Users", obj({"users": array(ref("User"))}, ["users"])),
                    **kapacitor_errors(400, 403),
                },
                [
                    _PATTERN,
                    {
                        "name": "fields",
                        "in": "query",
                        "required": False,
                        "schema": array({"type": "string"}),
                        "style": "form",
                        "explode": True,
                    },
                    query("offset", "Pagination offset", {"type": "integer", "minimum": 0}),
                    query("limit", "Maximum number of users", {"type": "integer", "minimum": 1}),
                ],
            ),
            "post": operation(
                "create_user",
                "Create a user",
                tag,
                {"200": ok("The user", ref("User")), **kapacitor_errors(400, 403)},
                body=json_body(ref("UserOptions")),
            ),
        },
        "/users/{name}": {
            "parameters": [name],
            "get": operation(
                "get_user",
                "One user",
                tag,
                {"200": ok("The user", ref("User")), **kapacitor_errors(403, 404)},
            ),
            "patch": operation(
                "update_user",
                "Change a user's password, type or permissions",
                tag,
                {"200": ok("The user", ref("User")), **kapacitor_errors(400, 403, 404)},
                body=json_body(ref("UserOptions")),
            ),
            "delete": operation(
                "delete_user",
                "Delete a user",
                tag,
                {"204": no_content(), **kapacitor_errors(403, 404)},
            ),
        },
    }


def _misc() -> dict[str, dict[str, Any]]:
    tag = "misc"
    ping = {"204": no_content("The server is up")}
    return {
        "/ping": {
            "get": operation("ping", "Is the server up", tag, ping),
            "head": operation("ping_head", "Is the server up", tag, ping),
        },
        "/:routes": {
            "get": operation(
                "routes",
                "Every route pattern and its methods",
                tag,
                {
                    "200": ok(
                        "Routes",
                        {"type": "object", "additionalProperties": array(STRING)},
                    )
                },
            )
        },
        "/debug/vars": {
            "get": operation(
                "debug_vars",
                "Runtime information and statistics",
                tag,
                {"200": ok("Statistics", obj({"version": STRING, "kapacitor": ANY}))},
            )
        },
        "/sideload/reload": {
            "post": operation(
                "sideload_reload",
                "Reload every sideload node's sources",
                tag,
                {"204": no_content("Reloaded"), **kapacitor_errors(500)},
            )
        },
        "/subscriptions": {
            "post": operation(
                "link_subscriptions",
                "Link InfluxDB subscriptions now",
                tag,
                {"204": no_content("Linked"), **kapacitor_errors(500)},
            )
        },
        "/loglevel": {
            "post": operation(
                "set_log_level",
                "Change the server's log level while it runs",
                tag,
                {"204": no_content("Changed"), **kapacitor_errors(400)},
                body=json_body(
                    obj(
                        {
                            "level": {
                                "type": "string",
                                "description": "debug, info, warn or error (any case)",
                            }
                        }
                    )
                ),
            )
        },
        "/load": {
            "post": operation(
                "load",
                "Reload the load directory",
                tag,
                {"200": ok("What was loaded", ref("LoadReport")), **kapacitor_errors(400)},
            )
        },
    }


def paths() -> dict[str, dict[str, Any]]:
    """Paths relative to the API base (`/kapacitor/v1`)."""
    out: dict[str, dict[str, Any]] = {}
    for part in (_alerts, _config, _storage, _service_tests, _users, _misc):
        out.update(part())
    return out
