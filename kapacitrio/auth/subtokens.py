"""Subscription tokens: what lets InfluxDB push to `/write` when auth is on.

Each subscription this server creates on InfluxDB gets its own random token, registered here with
its cluster, database and retention policy, and put in the destination URL as
`http://~subscriber:TOKEN@host:port` (Kapacitor's scheme). A request authenticating as `~subscriber`
with a known token acts as a user that may only ping and write to that one database.
"""

from __future__ import annotations

import secrets
from typing import Any

from kapacitrio.auth.privileges import (
    PING_RESOURCE,
    WRITE_RESOURCE,
    Privilege,
    User,
    database_resource,
)
from kapacitrio.storage.db import Store

KIND = "subscription_tokens"
#: The Basic-auth user name InfluxDB sends for subscription writes.
SUBSCRIBER = "~subscriber"


def new_token() -> str:
    """A fresh unguessable token, safe in a URL's userinfo."""
    return secrets.token_urlsafe(32)


def subscriber(db: str) -> User:
    """The user a subscription token stands for: ping, and write points to `db` only."""
    return User(
        name=SUBSCRIBER,
        privileges={
            WRITE_RESOURCE: int(Privilege.WRITE),
            PING_RESOURCE: int(Privilege.ALL),
            database_resource(db): int(Privilege.WRITE),
        },
    )


class SubscriptionTokens:
    """Tokens granted to InfluxDB subscriptions, kept in the database."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def grant(self, cluster: str, db: str, rp: str) -> str:
        token = new_token()
        await self.store.put(KIND, token, {"cluster": cluster, "db": db, "rp": rp})
        return token

    async def user(self, token: str) -> User | None:
        """The subscriber user of a token, or None for an unknown one."""
        if not token:
            return None
        doc = await self.store.get(KIND, token)
        return None if doc is None else subscriber(str(doc.get("db", "")))

    async def granted(self, cluster: str) -> dict[str, tuple[str, str]]:
        """token -> (db, rp) for every token of `cluster`."""
        out: dict[str, tuple[str, str]] = {}
        for token in await self.store.ids(KIND):
            doc: Any = await self.store.get(KIND, token)
            if doc and doc.get("cluster") == cluster:
                out[token] = (str(doc.get("db", "")), str(doc.get("rp", "")))
        return out

    async def revoke_except(self, cluster: str, keep: set[str]) -> int:
        """Revoke every token of `cluster` not in `keep`; returns how many went."""
        gone = 0
        for token in await self.granted(cluster):
            if token not in keep and await self.store.delete(KIND, token):
                gone += 1
        return gone
