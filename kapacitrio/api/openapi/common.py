"""Small builders for the OpenAPI document: operations, parameters, bodies and error responses."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

#: Kapacitor API errors are JSON; kkok's are text/plain.
JSON = "application/json"
TEXT = "text/plain"

_REASONS = {
    400: "Bad request: the body, a parameter or an id is invalid",
    401: "Authentication required (when `[http] auth-enabled`)",
    403: "Not permitted for this user, or the feature is disabled",
    404: "No such resource",
    409: "Conflict with an existing resource",
    413: "Request body too large",
    415: "The body must be sent as application/json",
    500: "The server could not complete the request (an upstream or storage failure)",
}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def content(schema: Schema, media: str = JSON) -> dict[str, Any]:
    return {media: {"schema": schema}}


def ok(description: str, schema: Schema | None = None, media: str = JSON) -> dict[str, Any]:
    """A success response; no schema means no body."""
    out: dict[str, Any] = {"description": description}
    if schema is not None:
        out["content"] = content(schema, media)
    return out


def no_content(description: str = "Done; no body") -> dict[str, Any]:
    return {"description": description}


def kapacitor_errors(*codes: int) -> dict[str, Any]:
    """Kapacitor's `{"error": "..."}` responses for these statuses."""
    return {str(c): ok(_REASONS[c], ref("Error")) for c in sorted(codes)}


def kkok_errors(*codes: int) -> dict[str, Any]:
    """kkok's text/plain error responses for these statuses."""
    return {str(c): ok(_REASONS[c], {"type": "string"}, TEXT) for c in sorted(codes)}


def path_param(name: str, description: str, schema: Schema | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema or {"type": "string", "minLength": 1},
    }


def query(name: str, description: str, schema: Schema | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def json_body(schema: Schema, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": content(schema)}


def operation(
    op_id: str,
    summary: str,
    tag: str,
    responses: dict[str, Any],
    params: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    out: dict[str, Any] = {"operationId": op_id, "summary": summary, "tags": [tag]}
    if params:
        out["parameters"] = params
    if body is not None:
        out["requestBody"] = body
    out["responses"] = responses
    out.update(extra)
    return out


def obj(properties: dict[str, Schema], required: list[str] | None = None, **extra: Any) -> Schema:
    """An object schema that allows further properties (clients and servers add fields)."""
    out: Schema = {"type": "object", "properties": properties}
    if required:
        out["required"] = required
    out.update(extra)
    return out


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


STRING: Schema = {"type": "string"}
BOOL: Schema = {"type": "boolean"}
INT: Schema = {"type": "integer"}
NUMBER: Schema = {"type": "number"}
ANY: Schema = {}
