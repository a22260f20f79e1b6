"""Subscriptions as InfluxDB holds them: what ours should be, the statements, link and unlink.

`plan` compares the wanted db/rp pairs with the subscriptions InfluxDB lists and says which of
ours to drop and which to create; `link` carries a plan out and `unlink` drops ours by name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from kapacitrio import logs
from kapacitrio.influxdb.client import InfluxDBClient, InfluxDBError, quote_ident
from kapacitrio.influxdb.udp import UDPListeners

#: The user name InfluxDB sends with a subscription token (as `kapacitrio.auth.subtokens`).
SUBSCRIBER = "~subscriber"

NS = 1_000_000_000
PREFIX = "kapacitor-"
#: The name every subscription had before names carried an id; such ones are replaced.
LEGACY_NAME = "kapacitor"
#: Excluded when `excluded-subscriptions` is not set: Kapacitor's own statistics database.
DEFAULT_EXCLUDED = {"_kapacitor": ["autogen"]}
#: Only destination of the subscriptions we create, so `ANY` and `ALL` mean the same.
MODE = "ANY"
PROTOCOLS = ("http", "https", "udp")
MODES = ("cluster", "server")
#: First and largest delay before retrying a failed link (seconds; never above the interval).
RETRY_FIRST, RETRY_MAX = 1.0, 30.0


_log = logs.get_logger("influxdb")


class SubscriptionError(Exception):
    """The `[[influxdb]]` section cannot be turned into a subscription target."""


@dataclass(frozen=True)
class Subscription:
    """One subscription as `SHOW SUBSCRIPTIONS` lists it."""

    db: str
    rp: str
    name: str
    mode: str = MODE
    destinations: tuple[str, ...] = ()


@dataclass(frozen=True)
class Target:
    """What this server wants on one cluster: its subscription name, destination and filters."""

    name: str
    protocol: str
    host: str
    port: int
    include: frozenset[tuple[str, str]] = frozenset()
    exclude: frozenset[tuple[str, str]] = frozenset()
    #: `udp` only: the address listeners bind and their socket read buffer.
    udp_bind: str = ""
    udp_read_buffer: int = 0
    #: With auth on: the (token, db, rp) granted to our subscriptions; None when auth is off.
    tokens: tuple[tuple[str, str, str], ...] | None = None

    @property
    def destination(self) -> str:
        return self.destination_on(self.port)

    def destination_on(self, port: int) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.protocol}://{host}:{port}"

    def wanted(self, db: str, rp: str) -> bool:
        """Whether db/rp should carry our subscription (`subscriptions`, `excluded-subscriptions`)."""
        if self.include and (db, rp) not in self.include:
            return False
        return (db, rp) not in self.exclude

    def matches(self, sub: Subscription) -> bool:
        """Whether an existing subscription of ours still points at this server as configured."""
        if not sub.destinations:
            return False
        try:
            parts = urlsplit(sub.destinations[0])
            port = parts.port
        except ValueError:
            return False
        if parts.scheme != self.protocol or (parts.hostname or "") != self.host:
            return False
        if self.protocol == "udp":
            return True
        if port != self.port:
            return False
        if self.tokens is None:
            return parts.username is None
        return parts.username == SUBSCRIBER and (parts.password, sub.db, sub.rp) in self.tokens


@dataclass
class Plan:
    """What one link does: subscriptions to drop, then ones to create."""

    drop: list[Subscription] = field(default_factory=list)
    create: list[Subscription] = field(default_factory=list)
    keep: list[Subscription] = field(default_factory=list)


def _pairs(mapping: Any) -> frozenset[tuple[str, str]]:
    out = set()
    for db, rps in dict(mapping or {}).items():
        for rp in [rps] if isinstance(rps, str) else list(rps or []):
            out.add((str(db), str(rp)))
    return frozenset(out)


def setting(section: Any, name: str, default: Any = None) -> Any:
    """A key of an `[[influxdb]]` section (a mapping or an object), or `default`."""
    if isinstance(section, dict):
        return section.get(name, section.get(name.replace("_", "-"), default))
    return getattr(section, name, default)


def interval_ns(section: Any) -> int:
    """`subscriptions-sync-interval` in ns (0: link only at startup)."""
    from kapacitrio.config import duration_ns

    try:
        return max(0, duration_ns(setting(section, "subscriptions_sync_interval", "1m0s") or 0))
    except ValueError as exc:
        raise SubscriptionError(f"invalid subscriptions-sync-interval: {exc}") from None


def target_for(section: Any, services: Any) -> Target:
    """The subscription target of one `[[influxdb]]` section on this server."""
    protocol = str(setting(section, "subscription_protocol", "http") or "http")
    if protocol not in PROTOCOLS:
        raise SubscriptionError(
            "invalid subscription protocol, must be one of 'udp', 'http' or 'https', "
            f"got {protocol}"
        )
    mode = str(setting(section, "subscription_mode", "cluster") or "cluster")
    if mode not in MODES:
        raise SubscriptionError("invalid subscription mode")
    ident = getattr(services, "cluster_id" if mode == "cluster" else "server_id", "")
    if not ident:
        raise SubscriptionError(f"no {mode} id to name the subscription after")
    config = getattr(services, "config", None)
    host = str(setting(section, "kapacitor_hostname", "") or getattr(config, "hostname", "") or "")
    if not host:
        host = "localhost"
    port = int(setting(section, "http_port", 0) or 0)
    if protocol == "udp":
        port = 0  # the UDP listener's port is chosen when the subscription is made
    elif not port:
        port = _bound_port(config)
    excluded = setting(section, "excluded_subscriptions", None)
    return Target(
        name=PREFIX + ident,
        protocol=protocol,
        host=host,
        port=port,
        include=_pairs(setting(section, "subscriptions", None)),
        exclude=_pairs(excluded if excluded else DEFAULT_EXCLUDED),
        udp_bind=str(setting(section, "udp_bind", "") or ""),
        udp_read_buffer=int(setting(section, "udp_read_buffer", 0) or 0),
    )


def _bound_port(config: Any) -> int:
    from kapacitrio.config import host_port

    http = getattr(config, "http", None)
    try:
        _, port = host_port(getattr(http, "bind_address", ":9092"))
    except ValueError as exc:
        raise SubscriptionError(str(exc)) from None
    if not port:
        raise SubscriptionError("the HTTP port is not known: set http-port in [[influxdb]]")
    return port


def plan(
    target: Target, dbrps: Iterable[tuple[str, str]], existing: Iterable[Subscription]
) -> Plan:
    """Decide which subscriptions to drop and create so every wanted db/rp has a current one."""
    out = Plan()
    have: set[tuple[str, str]] = set()
    old_names = (LEGACY_NAME, target.name[len(PREFIX) :])
    for sub in existing:
        if sub.name in old_names:
            out.drop.append(sub)
        elif sub.name == target.name:
            if target.matches(sub) and target.wanted(sub.db, sub.rp):
                out.keep.append(sub)
                have.add((sub.db, sub.rp))
            else:
                out.drop.append(sub)
    for db, rp in dbrps:
        if (db, rp) not in have and target.wanted(db, rp):
            have.add((db, rp))
            dest = (target.destination,)
            out.create.append(Subscription(db, rp, target.name, MODE, dest))
    return out


# -- talking to InfluxDB ----------------------------------------------------------------------


def _literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def create_statement(sub: Subscription) -> str:
    dests = ", ".join(_literal(d) for d in sub.destinations)
    return (
        f"CREATE SUBSCRIPTION {quote_ident(sub.name)} ON {quote_ident(sub.db)}."
        f"{quote_ident(sub.rp)} DESTINATIONS {sub.mode.upper() or MODE} {dests}"
    )


def drop_statement(sub: Subscription) -> str:
    return (
        f"DROP SUBSCRIPTION {quote_ident(sub.name)} ON {quote_ident(sub.db)}.{quote_ident(sub.rp)}"
    )


def _rows(series: list[dict[str, Any]]) -> Iterable[tuple[str, dict[str, Any]]]:
    for s in series:
        columns = list(s.get("columns") or [])
        for row in s.get("values") or []:
            yield str(s.get("name") or ""), dict(zip(columns, row, strict=False))


async def list_dbrps(client: InfluxDBClient) -> list[tuple[str, str]]:
    """Every database's retention policies, as (db, rp) pairs."""
    out = []
    for _, row in _rows(await client.series("SHOW DATABASES")):
        db = str(row.get("name") or "")
        rps = await client.series(f"SHOW RETENTION POLICIES ON {quote_ident(db)}")
        out.extend((db, str(r.get("name") or "")) for _, r in _rows(rps))
    return out


async def list_subscriptions(client: InfluxDBClient) -> list[Subscription]:
    """Every subscription on the cluster."""
    out = []
    for db, row in _rows(await client.series("SHOW SUBSCRIPTIONS")):
        dests = row.get("destinations") or []
        out.append(
            Subscription(
                db,
                str(row.get("retention_policy") or ""),
                str(row.get("name") or ""),
                str(row.get("mode") or ""),
                tuple(str(d) for d in (dests if isinstance(dests, list) else [dests])),
            )
        )
    return out


def with_token(destination: str, token: str) -> str:
    """`http://host:port` with the subscription user and token in its userinfo."""
    scheme, _, rest = destination.partition("://")
    return f"{scheme}://{SUBSCRIBER}:{token}@{rest}"


async def link(
    client: InfluxDBClient, target: Target, udp: UDPListeners | None = None, grant: Any = None
) -> Plan:
    """Bring the cluster's subscriptions in line with `target`; returns what was done.

    For `udp` targets, `udp` runs a listener per subscription: kept ones listen again on the
    port their destination names, new ones on a free port that their destination then names.
    """
    await client.ping()
    dbrps = await list_dbrps(client)
    todo = plan(target, dbrps, await list_subscriptions(client))
    if target.protocol == "udp":
        await _listen(todo, target, udp)
    elif grant is not None:  # auth on: each new subscription gets its own token
        todo.create = [
            replace(s, destinations=(with_token(s.destinations[0], await grant(s.db, s.rp)),))
            for s in todo.create
        ]
    for sub in todo.drop:
        await _drop(client, sub)
    for sub in todo.create:
        await client.series(create_statement(sub))
    if udp is not None:
        wanted = todo.keep + todo.create if target.protocol == "udp" else []
        udp.keep_only({(s.db, s.rp) for s in wanted})
    return todo


async def _listen(todo: Plan, target: Target, udp: UDPListeners | None) -> None:
    if udp is None:
        raise SubscriptionError("UDP subscriptions need the running subscription service")
    bind, buf = target.udp_bind, target.udp_read_buffer
    kept = []
    for sub in todo.keep:
        try:
            await udp.ensure(sub.db, sub.rp, bind, urlsplit(sub.destinations[0]).port or 0, buf)
        except (OSError, ValueError) as exc:  # the old port is taken: make a new subscription
            _log.error("failed to start UDP listener", db=sub.db, rp=sub.rp, error=str(exc))
            todo.drop.append(sub)
            todo.create.append(sub)
        else:
            kept.append(sub)
    todo.keep = kept
    created = []
    for sub in todo.create:
        port = await udp.ensure(sub.db, sub.rp, bind, 0, buf)
        created.append(replace(sub, mode=MODE, destinations=(target.destination_on(port),)))
    todo.create = created


async def unlink(client: InfluxDBClient, name: str) -> list[Subscription]:
    """Drop every subscription called `name`; returns the dropped ones."""
    dropped = [s for s in await list_subscriptions(client) if s.name == name]
    for sub in dropped:
        await _drop(client, sub)
    return dropped


async def _drop(client: InfluxDBClient, sub: Subscription) -> None:
    try:
        await client.series(drop_statement(sub))
    except InfluxDBError as exc:
        if "subscription not found" not in str(exc):  # dropped by someone else meanwhile
            raise
