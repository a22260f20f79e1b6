"""The user store: bcrypt-hashed users in the database, cached in memory for `cache-expiration`.

Passwords are hashed with bcrypt (`[auth] bcrypt-cost`) off the event loop and never leave this
module: documents and the API see names, types and permissions only. A successful password check is
remembered as a salted SHA-256 for `cache-expiration`, so a client sending Basic auth on every
request pays bcrypt once, not every time (as Kapacitor does).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

import bcrypt
import trio

from kapacitrio.auth.privileges import User
from kapacitrio.storage.db import Store

KIND = "users"
#: bcrypt reads no further than this.
MAX_PASSWORD_BYTES = 72


class UserError(Exception):
    """A user operation failed; `http_status` and Kapacitor's message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.http_status = status
        self.message = message


class AuthenticationFailed(Exception):
    """Unknown user or wrong password (the two are not told apart)."""


def valid_username(name: str) -> bool:
    """Letters, digits, `-`, `.`, `@` and `_` only (Kapacitor's rule)."""
    return bool(name) and all(c.isalpha() or c.isdigit() or c in "-._@" for c in name)


@dataclass
class _Cached:
    user: User
    hash: bytes
    expires: float


class UserStore:
    """Users by name in the database, with Kapacitor's caching."""

    def __init__(self, store: Store, *, bcrypt_cost: int, cache_seconds: float) -> None:
        self.store = store
        self.bcrypt_cost = bcrypt_cost
        self.cache_seconds = cache_seconds
        self._users: dict[str, _Cached] = {}
        self._checked: dict[str, tuple[bytes, bytes, float]] = {}  # name -> salt, digest, expiry

    # -- reading
    async def get(self, name: str) -> User | None:
        cached = self._users.get(name)
        if cached is not None and cached.expires > trio.current_time():
            return cached.user
        doc = await self.store.get(KIND, name)
        if doc is None:
            self._forget(name)
            return None
        return self._remember(doc).user

    async def authenticate(self, name: str, password: str) -> User:
        """The user if `password` is theirs; `AuthenticationFailed` otherwise."""
        user = await self.get(name)
        if user is None:
            await self._hash_check(b"", password)  # same cost whether or not the user exists
            raise AuthenticationFailed(name)
        now = trio.current_time()
        seen = self._checked.get(name)
        if (
            seen is not None
            and seen[2] > now
            and hmac.compare_digest(_digest(seen[0], password), seen[1])
        ):
            return user
        if not await self._hash_check(self._users[name].hash, password):
            self._checked.pop(name, None)
            raise AuthenticationFailed(name)
        salt = secrets.token_bytes(32)
        self._checked[name] = (salt, _digest(salt, password), now + self.cache_seconds)
        return user

    async def list(
        self, pattern: str = "", offset: int = 0, limit: int = 100
    ) -> list[dict[str, Any]]:
        return await self.store.list(KIND, pattern=pattern or None, offset=offset, limit=limit)

    async def exists(self, name: str) -> bool:
        return await self.store.get(KIND, name) is not None

    # -- writing
    async def create(
        self, name: str, password: str, admin: bool, privileges: dict[str, int]
    ) -> dict[str, Any]:
        if await self.exists(name):
            raise UserError(400, f"failed to create user: user {name} already exists")
        doc = {
            "name": name,
            "hash": (await self._hash(password)).decode("ascii"),
            "admin": admin,
            "privileges": {} if admin else dict(privileges),
        }
        await self.store.put(KIND, name, doc)
        self._forget(name)
        return doc

    async def update(
        self,
        name: str,
        *,
        password: str = "",
        admin: bool | None = None,
        privileges: dict[str, int] | None = None,
    ) -> dict[str, Any]:
        doc = await self.store.get(KIND, name)
        if doc is None:
            raise UserError(404, "no user exists")
        if password:
            doc["hash"] = (await self._hash(password)).decode("ascii")
        if privileges is not None:
            doc["privileges"] = dict(privileges)
        if admin is not None:
            doc["admin"] = admin
            if admin:
                doc["privileges"] = {}  # an admin has every privilege anyway
        await self.store.put(KIND, name, doc)
        self._forget(name)
        return doc

    async def delete(self, name: str) -> None:
        self._forget(name)
        if not await self.store.delete(KIND, name):
            raise UserError(404, "no user exists")

    # -- internals
    def _remember(self, doc: dict[str, Any]) -> _Cached:
        user = User(
            name=str(doc["name"]),
            admin=bool(doc.get("admin")),
            privileges={str(k): int(v) for k, v in (doc.get("privileges") or {}).items()},
        )
        cached = _Cached(
            user, str(doc.get("hash", "")).encode("ascii"), trio.current_time() + self.cache_seconds
        )
        self._users[user.name] = cached
        return cached

    def _forget(self, name: str) -> None:
        self._users.pop(name, None)
        self._checked.pop(name, None)

    async def _hash(self, password: str) -> bytes:
        if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
            raise UserError(400, f"password is too long: at most {MAX_PASSWORD_BYTES} bytes")
        cost = self.bcrypt_cost
        return await trio.to_thread.run_sync(
            lambda: bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(cost))
        )

    async def _hash_check(self, hashed: bytes, password: str) -> bool:
        target = hashed or _DUMMY_HASH
        try:
            ok = await trio.to_thread.run_sync(
                bcrypt.checkpw, password.encode("utf-8")[:MAX_PASSWORD_BYTES], target
            )
        except ValueError:  # a corrupt stored hash never authenticates
            return False
        return ok and bool(hashed)


def _digest(salt: bytes, password: str) -> bytes:
    return hashlib.sha256(salt + password.encode("utf-8")).digest()


#: Checked against when the user does not exist, so timing does not tell names apart.
_DUMMY_HASH = bcrypt.hashpw(b"no such user", bcrypt.gensalt(4))
