"""The auth service: turns credentials into a user, and makes the first admin at start.

`start(services, nursery)` is a plugin (see `kapacitrio.services`): it checks the security settings
(a bad one stops the start), opens the user store and, when `[http] auth-enabled` is on and
`[auth] admin-username` names no user yet, creates that user as an admin, so turning auth on never
locks the operator out. The service is `services.extra["auth"]`.
"""

from __future__ import annotations

from typing import Any

import trio

from kapacitrio import logs
from kapacitrio.auth import handlers as _disabled_handlers  # noqa: F401 - registers [alert]
from kapacitrio.auth.credentials import Credentials
from kapacitrio.auth.jwt_tokens import TokenError, username_from
from kapacitrio.auth.privileges import User
from kapacitrio.auth.settings import auth_config, check_security
from kapacitrio.auth.subtokens import SubscriptionTokens
from kapacitrio.auth.users import AuthenticationFailed, UserStore
from kapacitrio.config import Config, duration_ns

_log = logs.get_logger("auth")

#: The user every request acts as when authentication is off (Kapacitor's `ADMIN_USER`).
OPEN_ADMIN = User(name="ADMIN_USER", admin=True)


class AuthFailure(Exception):
    """Authentication failed; the message is Kapacitor's 401 text."""


class AuthService:
    """Users, subscription tokens and the `[http]` authentication settings of one server."""

    def __init__(self, config: Config, store: Any) -> None:
        auth = auth_config(config)
        self.config = config
        self.users = UserStore(
            store,
            bcrypt_cost=auth.bcrypt_cost,
            cache_seconds=duration_ns(auth.cache_expiration) / 1e9,
        )
        self.tokens = SubscriptionTokens(store)

    @property
    def enabled(self) -> bool:
        """Whether the API asks for credentials (`[http] auth-enabled`)."""
        return bool(self.config.http.auth_enabled)

    async def authenticate(self, creds: Credentials) -> User:
        """The user the credentials prove; `AuthFailure` with Kapacitor's text otherwise."""
        if creds.method == "user":
            if not creds.username:
                raise AuthFailure("username required")
            try:
                return await self.users.authenticate(creds.username, creds.password)
            except AuthenticationFailed:
                raise AuthFailure("authorization failed") from None
        if creds.method == "bearer":
            try:
                name = username_from(creds.token, self.config.http.shared_secret)
            except TokenError as exc:
                raise AuthFailure(str(exc)) from None
            user = await self.users.get(name)
            if user is None:
                raise AuthFailure(f'retrieving user "{name}" from store: no user exists')
            return user
        if creds.method == "subscription":
            user = await self.tokens.user(creds.token)
            if user is None:
                raise AuthFailure("invalid subscription token")
            return user
        raise AuthFailure("unsupported authentication")

    async def ensure_admin(self) -> None:
        """Create `[auth] admin-username` as an admin when auth is on and it does not exist."""
        auth = auth_config(self.config)
        if not (self.enabled and auth.admin_username):
            return
        if await self.users.exists(auth.admin_username):
            return
        await self.users.create(auth.admin_username, auth.admin_password, True, {})
        _log.info("created the first admin user", user=auth.admin_username)


def service_of(services: Any) -> AuthService | None:
    extra = getattr(services, "extra", None) or {}
    svc = extra.get("auth")
    return svc if isinstance(svc, AuthService) else None


async def start(services: Any, nursery: trio.Nursery) -> AuthService:
    """Check the security settings, open the user store, make the first admin."""
    check_security(services.config)
    svc = AuthService(services.config, services.store)
    services.extra["auth"] = svc
    await svc.ensure_admin()
    if svc.enabled:
        _log.info("authentication enabled", users_exist=bool(await svc.users.list(limit=1)))
    else:
        _log.info(
            "authentication is disabled: anyone who can reach the API controls this server "
            "(set [http] auth-enabled = true)"
        )
    return svc
