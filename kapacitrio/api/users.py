"""`/users`: create, read, update, delete and list the API's users (admins only when auth is on).

Users have a `name`, a `type` (`normal` or `admin`) and `permissions` (`api`, `config_api`,
`write_points`, `all`). Passwords go in and are never sent back.
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, jsonify, request

from kapacitrio.api.app import BASE, no_content, services
from kapacitrio.api.errors import ApiError, json_body
from kapacitrio.auth.privileges import PERMISSIONS, USER_TYPES, permissions_of, privileges_for
from kapacitrio.auth.service import AuthService, service_of
from kapacitrio.auth.users import valid_username

bp = Blueprint("users", __name__)

FIELDS = ("link", "name", "type", "permissions")


def _service() -> AuthService:
    svc = service_of(services())
    if svc is None:
        raise ApiError(503, "the auth service is not running")
    return svc


def view(doc: dict[str, Any], fields: tuple[str, ...] = FIELDS) -> dict[str, Any]:
    """A stored user as the API shows it: never its hash."""
    name = str(doc["name"])
    full = {
        "link": {"rel": "self", "href": f"{BASE}/users/{name}"},
        "name": name,
        "type": "admin" if doc.get("admin") else "normal",
        "permissions": [] if doc.get("admin") else permissions_of(doc.get("privileges") or {}),
    }
    return {f: full[f] for f in fields}


async def _options() -> dict[str, Any]:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid JSON")
    return body


def _user_type(body: dict[str, Any]) -> str | None:
    kind = body.get("type")
    if kind is None or kind == "":
        return None
    if kind not in USER_TYPES:
        raise ApiError(400, f"invalid JSON: unknown user type {kind}")
    return str(kind)


def _privileges(body: dict[str, Any]) -> dict[str, int] | None:
    perms = body.get("permissions")
    if perms is None:
        return None
    if not isinstance(perms, list) or not all(isinstance(p, str) for p in perms):
        raise ApiError(400, "invalid JSON: permissions must be a list of strings")
    unknown = [p for p in perms if p not in PERMISSIONS]
    if unknown:
        raise ApiError(400, f"invalid permissions: unknown permission {unknown[0]}")
    return privileges_for(perms)


def _password(body: dict[str, Any]) -> str:
    password = body.get("password", "")
    if not isinstance(password, str):
        raise ApiError(400, "invalid JSON: password must be a string")
    return password


@bp.route("/users", methods=["POST"])
async def create_user() -> Response:
    body = await _options()
    name = body.get("name", "")
    if not isinstance(name, str) or not name:
        raise ApiError(400, "username is required")
    if not valid_username(name):
        raise ApiError(
            400, f"username must contain only letters, numbers, '-', '.', '@' and '_'. \"{name}\""
        )
    password = _password(body)
    if not password:
        raise ApiError(400, "password is required")
    kind = _user_type(body) or "normal"
    privileges = _privileges(body) or {}
    doc = await _service().users.create(name, password, kind == "admin", privileges)
    return jsonify(view(doc))


@bp.route("/users", methods=["GET"])
async def list_users() -> Response:
    fields = tuple(request.args.getlist("fields")) or FIELDS
    unknown = [f for f in fields if f not in FIELDS]
    if unknown:
        raise ApiError(400, f'unsupported field "{unknown[0]}"')
    if fields != FIELDS:
        fields = tuple(dict.fromkeys((*fields, "name", "link")))
    offset = _int_arg("offset", 0)
    limit = _int_arg("limit", 100)
    pattern = request.args.get("pattern", "")
    docs = await _service().users.list(pattern, offset, limit)
    return jsonify({"users": [view(d, fields) for d in docs]})


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not -(2**63) <= value < 2**63:  # Go's 64-bit ParseInt
        raise ApiError(400, f'invalid {name} parameter "{raw}" must be an integer')
    return value


@bp.route("/users/<name>", methods=["GET"])
async def get_user(name: str) -> Response:
    doc = await _service().users.store.get("users", name)
    if doc is None:
        raise ApiError(404, "no user exists")
    return jsonify(view(doc))


@bp.route("/users/<name>", methods=["PATCH"])
async def update_user(name: str) -> Response:
    body = await _options()
    password = _password(body)
    kind = _user_type(body)
    privileges = _privileges(body)
    doc = await _service().users.update(
        name,
        password=password,
        admin=None if kind is None else kind == "admin",
        privileges=privileges,
    )
    return jsonify(view(doc))


@bp.route("/users/<name>", methods=["DELETE"])
async def delete_user(name: str) -> Response:
    await _service().users.delete(name)
    return no_content()
