"""Users, privileges and permissions: who may do what to which API resource.

A user holds a map of resource (`/api/tasks`, `/databases/telegraf`) to a privilege mask. An action
on a resource is allowed when the closest listed ancestor of the resource grants the privilege; an
admin may do everything. Permissions (`api`, `config_api`, `write_points`, `all`) are the names
the users API speaks; each expands to resource privileges as Kapacitor's do.
"""

from __future__ import annotations

import enum
import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


class Privilege(enum.IntFlag):
    """One privilege bit; names are Kapacitor's (`none`, `read`, `write`, `delete`, `all`)."""

    NONE = 1
    READ = 2
    WRITE = 4
    DELETE = 8
    ALL = 16

    @property
    def label(self) -> str:
        return (self.name or "unknown").lower()


#: The privilege each HTTP method needs; HEAD and OPTIONS need none.
METHOD_PRIVILEGE = {
    "HEAD": Privilege.NONE,
    "OPTIONS": Privilege.NONE,
    "GET": Privilege.READ,
    "POST": Privilege.WRITE,
    "PATCH": Privilege.WRITE,
    "PUT": Privilege.WRITE,
    "DELETE": Privilege.DELETE,
}

#: The API base paths (as in `kapacitrio.api.app`, which imports this package).
BASE, PREVIEW = "/kapacitor/v1", "/kapacitor/v1preview"
ROOT = "/api"
WRITE_RESOURCE = "/api/write"
PING_RESOURCE = "/api/ping"
CONFIG_RESOURCE = "/api/config"

PERMISSIONS = ("none", "api", "config_api", "write_points", "all")
USER_TYPES = ("normal", "admin")


class AuthorizationError(Exception):
    """The user lacks `missing` on `resource`."""

    def __init__(self, user: str, missing: Privilege, resource: str) -> None:
        super().__init__(f"user {user} does not have {missing.label!r} privilege for {resource}")
        self.user, self.missing, self.resource = user, missing, resource


def api_resource(path: str) -> str:
    """The resource of a request path: `/kapacitor/v1/tasks/x` and `/tasks/x` name `/api/tasks/x`."""
    for prefix in (PREVIEW, BASE):
        if path == prefix or path.startswith(prefix + "/"):
            path = path[len(prefix) :]
            break
    return posixpath.normpath(posixpath.join(ROOT, "./" + path.lstrip("/")))


def database_resource(db: str) -> str:
    return "/databases/" + db


@dataclass(frozen=True)
class User:
    """An authenticated user: name, admin flag and resource -> privilege mask (immutable)."""

    name: str
    admin: bool = False
    privileges: Mapping[str, int] = field(default_factory=dict)

    def authorize(self, resource: str, needed: Privilege) -> None:
        """Raise `AuthorizationError` unless the user may take `needed` on `resource`."""
        if needed == Privilege.NONE or self.admin:
            return
        current = posixpath.normpath(resource)
        while True:
            mask = self.privileges.get(current)
            if mask is not None:
                if mask & needed or mask & Privilege.ALL:
                    return
                break
            if current == "/":
                break
            current = posixpath.dirname(current)
        raise AuthorizationError(self.name, needed, resource)


def privileges_for(permissions: Iterable[str]) -> dict[str, int]:
    """Resource -> privilege mask for a list of permission names (unknown names: ValueError)."""
    out: dict[str, int] = {}
    for perm in permissions:
        if perm == "none":
            continue
        if perm == "api":
            out[ROOT] = Privilege.ALL
            out.setdefault(WRITE_RESOURCE, Privilege.NONE)  # writing points is its own permission
            out.setdefault(CONFIG_RESOURCE, Privilege.NONE)  # and so is the config API
        elif perm == "config_api":
            out[PING_RESOURCE] = Privilege.ALL
            out[CONFIG_RESOURCE] = Privilege.ALL
        elif perm == "write_points":
            out[PING_RESOURCE] = Privilege.ALL
            out[WRITE_RESOURCE] = Privilege.ALL
        elif perm == "all":
            out[ROOT] = out[CONFIG_RESOURCE] = out[WRITE_RESOURCE] = Privilege.ALL
        else:
            raise ValueError(f"unknown permission {perm}")
    return {k: int(v) for k, v in out.items()}


def permissions_of(privileges: Mapping[str, int]) -> list[str]:
    """The permission names a privilege map amounts to (`["all"]` when it has everything)."""

    def full(resource: str) -> bool:
        return bool(privileges.get(resource, 0) & Privilege.ALL)

    has_api, has_config, has_write = full(ROOT), full(CONFIG_RESOURCE), full(WRITE_RESOURCE)
    if has_api and has_config and has_write:
        return ["all"]
    return [
        name
        for name, has in (("api", has_api), ("config_api", has_config), ("write_points", has_write))
        if has
    ]
