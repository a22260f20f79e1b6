"""Component schemas of the OpenAPI document: the resources both APIs read and return."""

from __future__ import annotations

from kapacitrio.api.openapi.common import (
    ANY,
    BOOL,
    INT,
    NUMBER,
    STRING,
    Schema,
    array,
    obj,
    ref,
)

_TYPES = {"type": "string", "enum": ["stream", "batch"]}
_STATUS = {"type": "string", "enum": ["enabled", "disabled"]}
_LEVEL = {"type": "string", "enum": ["OK", "INFO", "WARNING", "CRITICAL"]}
_VAR_TYPES = ["bool", "int", "float", "duration", "string", "regex", "lambda", "star", "list"]

KAPACITOR: dict[str, Schema] = {
    "Error": obj({"error": STRING}, ["error"], additionalProperties=False),
    "Link": obj({"rel": STRING, "href": STRING}, ["rel", "href"]),
    "DBRP": obj({"db": STRING, "rp": STRING}, ["db", "rp"]),
    "Var": obj(
        {
            "type": {"type": "string", "enum": _VAR_TYPES},
            "value": ANY,
            "description": STRING,
        },
        ["type"],
    ),
    "Vars": {"type": "object", "additionalProperties": ref("Var")},
    "TaskOptions": obj(
        {
            "id": STRING,
            "template-id": STRING,
            "type": _TYPES,
            "dbrps": array(ref("DBRP")),
            "script": STRING,
            "status": _STATUS,
            "vars": ref("Vars"),
        }
    ),
    "Task": obj(
        {
            "link": ref("Link"),
            "id": STRING,
            "template-id": STRING,
            "type": STRING,
            "dbrps": array(ref("DBRP")),
            "script": STRING,
            "vars": ref("Vars"),
            "dot": STRING,
            "status": STRING,
            "executing": BOOL,
            "error": STRING,
            "stats": {"type": "object"},
            "created": STRING,
            "modified": STRING,
            "last-enabled": STRING,
        },
        ["link", "id"],
    ),
    "TemplateOptions": obj({"id": STRING, "type": _TYPES, "script": STRING}),
    "Template": obj(
        {
            "link": ref("Link"),
            "id": STRING,
            "type": STRING,
            "script": STRING,
            "vars": ref("Vars"),
            "dot": STRING,
            "error": STRING,
            "created": STRING,
            "modified": STRING,
        },
        ["link", "id"],
    ),
    "StreamRecordingOptions": obj({"id": STRING, "task": STRING, "stop": STRING}, ["task"]),
    "BatchRecordingOptions": obj(
        {"id": STRING, "task": STRING, "start": STRING, "stop": STRING}, ["task", "start"]
    ),
    "QueryRecordingOptions": obj(
        {"id": STRING, "type": _TYPES, "query": STRING, "cluster": STRING}, ["type", "query"]
    ),
    "Recording": obj(
        {
            "link": ref("Link"),
            "id": STRING,
            "type": STRING,
            "size": INT,
            "date": STRING,
            "error": STRING,
            "status": STRING,
            "progress": NUMBER,
        },
        ["link", "id"],
    ),
    "ReplayOptions": obj(
        {
            "id": STRING,
            "task": STRING,
            "recording": STRING,
            "recording-time": BOOL,
            "clock": {"type": "string", "enum": ["fast", "real"]},
        },
        ["task", "recording"],
    ),
    "BatchReplayOptions": obj(
        {
            "id": STRING,
            "task": STRING,
            "start": STRING,
            "stop": STRING,
            "recording-time": BOOL,
            "clock": {"type": "string", "enum": ["fast", "real"]},
        },
        ["task", "start"],
    ),
    "QueryReplayOptions": obj(
        {
            "id": STRING,
            "task": STRING,
            "query": STRING,
            "cluster": STRING,
            "recording-time": BOOL,
            "clock": {"type": "string", "enum": ["fast", "real"]},
        },
        ["task", "query"],
    ),
    "Replay": obj(
        {
            "link": ref("Link"),
            "id": STRING,
            "task": STRING,
            "recording": STRING,
            "recording-time": BOOL,
            "clock": STRING,
            "date": STRING,
            "error": STRING,
            "status": STRING,
            "progress": NUMBER,
            "stats": {"type": "object"},
        },
        ["link", "id"],
    ),
    "Topic": obj(
        {
            "link": ref("Link"),
            "id": STRING,
            "level": _LEVEL,
            "collected": INT,
            "events-link": ref("Link"),
            "handlers-link": ref("Link"),
        },
        ["link", "id", "level"],
    ),
    "Topics": obj({"link": ref("Link"), "topics": array(ref("Topic"))}, ["topics"]),
    "EventState": obj(
        {
            "message": STRING,
            "details": STRING,
            "time": STRING,
            "duration": ANY,
            "level": _LEVEL,
        }
    ),
    "Event": obj(
        {"link": ref("Link"), "id": STRING, "state": ref("EventState")}, ["link", "id", "state"]
    ),
    "Events": obj(
        {"link": ref("Link"), "topic": STRING, "events": array(ref("Event"))}, ["events"]
    ),
    "HandlerOptions": obj(
        {"id": STRING, "kind": STRING, "options": {"type": "object"}, "match": STRING},
        ["kind"],
    ),
    "Handler": obj(
        {
            "link": ref("Link"),
            "id": STRING,
            "kind": STRING,
            "options": {"type": "object"},
            "match": STRING,
        },
        ["link", "id", "kind"],
    ),
    "Handlers": obj(
        {"link": ref("Link"), "topic": STRING, "handlers": array(ref("Handler"))}, ["handlers"]
    ),
    "JSONPatch": array(
        obj(
            {
                "op": {
                    "type": "string",
                    "enum": ["add", "remove", "replace", "move", "copy", "test"],
                },
                "path": STRING,
                "from": STRING,
                "value": ANY,
            },
            ["op", "path"],
        )
    ),
    "ConfigElement": obj(
        {"link": ref("Link"), "options": {"type": "object"}, "redacted": array(STRING)},
        ["link", "options"],
    ),
    "ConfigSection": obj(
        {"link": ref("Link"), "elements": array(ref("ConfigElement"))}, ["link", "elements"]
    ),
    "Config": obj(
        {
            "link": ref("Link"),
            "sections": {"type": "object", "additionalProperties": ref("ConfigSection")},
        },
        ["link", "sections"],
    ),
    "ConfigUpdate": obj(
        {
            "set": {"type": "object"},
            "delete": array(STRING),
            "add": {"type": "object"},
            "remove": array(STRING),
        }
    ),
    "ServiceTest": obj(
        {"link": ref("Link"), "name": STRING, "options": {"type": "object"}},
        ["link", "name", "options"],
    ),
    "ServiceTests": obj({"link": ref("Link"), "services": array(ref("ServiceTest"))}, ["services"]),
    "ServiceTestResult": obj({"success": BOOL, "message": STRING}, ["success", "message"]),
    "User": obj(
        {
            "link": ref("Link"),
            "name": STRING,
            "type": {"type": "string", "enum": ["normal", "admin"]},
            "permissions": array(STRING),
        },
        ["link", "name"],
    ),
    "UserOptions": obj(
        {
            "name": STRING,
            "password": STRING,
            "type": {"type": "string", "enum": ["normal", "admin"]},
            "permissions": array(
                {"type": "string", "enum": ["api", "config_api", "write_points", "all"]}
            ),
        }
    ),
    "LoadReport": {"type": "object"},
    "TickscriptCheck": obj(
        {
            "script": STRING,
            "type": _TYPES,
            "template": BOOL,
            "vars": ref("Vars"),
            "id": STRING,
        },
        ["script"],
    ),
    "TickscriptVerdict": {
        "oneOf": [
            obj(
                {
                    "valid": {"const": True},
                    "type": STRING,
                    "dbrps": array(ref("DBRP")),
                    "dot": STRING,
                },
                ["valid", "type", "dbrps", "dot"],
            ),
            obj(
                {"valid": {"const": False}, "error": STRING, "line": INT, "char": INT},
                ["valid", "error", "line", "char"],
            ),
        ]
    },
    "DagLayoutRequest": obj(
        {"dot": STRING, "engine": {"type": "string", "enum": ["auto", "graphviz", "layered"]}},
        ["dot"],
    ),
}

KKOK: dict[str, Schema] = {
    "KkokAlertIn": obj(
        {
            "From": STRING,
            "Title": STRING,
            "Date": STRING,
            "Host": STRING,
            "Message": STRING,
            "Info": {"type": "object"},
        },
        ["From", "Title"],
    ),
    "KkokAlert": obj(
        {
            "From": STRING,
            "Date": STRING,
            "Host": STRING,
            "Title": STRING,
            "Message": STRING,
            "Routes": {"type": ["array", "null"], "items": STRING},
            "Info": {"type": ["object", "null"]},
            "Stats": {"type": ["object", "null"]},
            "Sub": {"type": ["array", "null"]},
        },
        ["From", "Title"],
    ),
    "KkokFilter": obj(
        {
            "type": STRING,
            "disabled": BOOL,
            "all": BOOL,
            "if": {"oneOf": [STRING, array(STRING)]},
            "expire": STRING,
        },
        ["type"],
    ),
    "KkokFilterView": obj(
        {
            "id": STRING,
            "type": STRING,
            "disabled": BOOL,
            "all": BOOL,
            "if": ANY,
            "expire": STRING,
            "inactive": STRING,
        },
        ["type"],
    ),
    "KkokTransport": obj({"type": STRING}, ["type"]),
    "KkokRoute": array(ref("KkokTransport")),
    "KkokInactivate": obj({"until": STRING}, ["until"], additionalProperties=False),
    "Ids": array(STRING),
}
