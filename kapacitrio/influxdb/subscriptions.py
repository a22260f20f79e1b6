"""InfluxDB subscriptions: keep a `kapacitor-<id>` subscription on every db/rp pushing writes to us.

For each enabled `[[influxdb]]` cluster the `SubscriptionService` links subscriptions at startup and
again every `subscriptions-sync-interval` (on the server's clock): it lists the databases, their
retention policies and the existing subscriptions, drops ours that are stale (wrong destination,
no longer wanted, or old-style names) and creates the missing ones. An unreachable InfluxDB never
stops the server: the failure is logged and the link is retried with a growing delay.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

import trio

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


def _get(section: Any, name: str, default: Any = None) -> Any:
    if isinstance(section, dict):
        return section.get(name, section.get(name.replace("_", "-"), default))
    return getattr(section, name, default)


def interval_ns(section: Any) -> int:
    """`subscriptions-sync-interval` in ns (0: link only at startup)."""
    from kapacitrio.config import duration_ns

    try:
        return max(0, duration_ns(_get(section, "subscriptions_sync_interval", "1m0s") or 0))
    except ValueError as exc:
        raise SubscriptionError(f"invalid subscriptions-sync-interval: {exc}") from None


def target_for(section: Any, services: Any) -> Target:
    """The subscription target of one `[[influxdb]]` section on this server."""
    protocol = str(_get(section, "subscription_protocol", "http") or "http")
    if protocol not in PROTOCOLS:
        raise SubscriptionError(
            "invalid subscription protocol, must be one of 'udp', 'http' or 'https', "
            f"got {protocol}"
        )
    mode = str(_get(section, "subscription_mode", "cluster") or "cluster")
    if mode not in MODES:
        raise SubscriptionError("invalid subscription mode")
    ident = getattr(services, "cluster_id" if mode == "cluster" else "server_id", "")
    if not ident:
        raise SubscriptionError(f"no {mode} id to name the subscription after")
    config = getattr(services, "config", None)
    host = str(_get(section, "kapacitor_hostname", "") or getattr(config, "hostname", "") or "")
    if not host:
        host = "localhost"
    port = int(_get(section, "http_port", 0) or 0)
    if protocol == "udp":
        port = 0  # the UDP listener's port is chosen when the subscription is made
    elif not port:
        port = _bound_port(config)
    excluded = _get(section, "excluded_subscriptions", None)
    return Target(
        name=PREFIX + ident,
        protocol=protocol,
        host=host,
        port=port,
        include=_pairs(_get(section, "subscriptions", None)),
        exclude=_pairs(excluded if excluded else DEFAULT_EXCLUDED),
        udp_bind=str(_get(section, "udp_bind", "") or ""),
        udp_read_buffer=int(_get(section, "udp_read_buffer", 0) or 0),
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


# -- the background service -------------------------------------------------------------------


@dataclass
class ClusterState:
    """What the service remembers about one cluster between links."""

    name: str
    #: When to link next (clock ns); None: only when triggered.
    next_due: int | None = 0
    failures: int = 0
    #: Subscription name and client of the last successful link (to unlink on changes).
    linked: str = ""
    client: InfluxDBClient | None = None
    count: int = 0
    error: str = ""
    #: Listeners of `udp` subscriptions.
    udp: UDPListeners | None = None
    disabled: bool = False
    started: int = 0
    gave_up_warned: bool = False


class SubscriptionService:
    """Links subscriptions for every enabled cluster, now and every sync interval."""

    def __init__(self, services: Any, clock: Any = None, *, wait_for_http: float = 0.0) -> None:
        self.services = services
        #: Seconds to wait, before the first link, for our own HTTP listener to accept.
        self.wait_for_http = wait_for_http
        self.clock = clock or _server_clock(services)
        self.clusters: dict[str, ClusterState] = {}
        self._wake: trio.CancelScope | None = None
        self._lock = trio.Lock()
        self._pending = False
        self._nursery: trio.Nursery | None = None
        self.rounds = 0

    # -- public
    @property
    def num_subscriptions(self) -> int:
        return sum(s.count for s in self.clusters.values())

    def trigger(self) -> None:
        """Link every cluster now instead of at its next due time (e.g. after a config change)."""
        self._pending = True
        if self._wake is not None:
            self._wake.cancel()

    def _config_changed(self, name: str, value: Any) -> None:
        if name == "influxdb":
            self.trigger()

    async def link_all(self) -> None:
        """Link every enabled cluster now; raises `InfluxDBError` naming the first that failed."""
        errors = []
        for state in await self._round(force=True):
            if state.error:
                errors.append(f"linking cluster {state.name}: {state.error}")
        if errors:
            raise InfluxDBError("; ".join(errors))

    async def run(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        """Link at once, then whenever a cluster is due, until cancelled."""
        subscribe = getattr(getattr(self.services, "config", None), "subscribe", None)
        unsubscribe = subscribe(self._config_changed) if callable(subscribe) else None
        try:
            async with trio.open_nursery() as nursery:  # the UDP listeners live here
                self._nursery = nursery
                task_status.started()
                await self._http_listening()
                await self._loop()
        finally:
            self._nursery = None
            if callable(unsubscribe):
                unsubscribe()

    async def _loop(self) -> None:
        while True:
            force, self._pending = self._pending, False
            await self._round(force=force)
            if self._pending:
                continue
            due = [s.next_due for s in self.clusters.values() if s.next_due is not None]
            with trio.CancelScope() as scope:
                self._wake = scope
                if due:
                    await self.clock.sleep_until(min(due))
                else:
                    await trio.sleep_forever()
            self._wake = None

    async def _http_listening(self) -> None:
        """Wait (bounded) until the API accepts connections, so no early push is refused."""
        from kapacitrio.config import host_port

        if not self.wait_for_http:
            return
        try:
            host, port = host_port(self.services.config.http.bind_address)
        except (AttributeError, ValueError):
            return
        if not port:
            return
        host = "127.0.0.1" if host in ("", "0.0.0.0") else "::1" if host == "::" else host
        with trio.move_on_after(self.wait_for_http):
            while True:
                try:
                    stream = await trio.open_tcp_stream(host, port)
                except OSError:
                    await trio.sleep(0.05)
                    continue
                await stream.aclose()
                return

    # -- one pass over the clusters
    def _sections(self) -> tuple[list[Any], set[str]]:
        registry = getattr(self.services, "influxdb", None)
        listed = getattr(registry, "sections", None)
        sections = listed() if callable(listed) else []
        return sections, {str(_get(s, "name", "")) for s in sections}

    async def _round(self, force: bool = False) -> list[ClusterState]:
        async with self._lock:
            self.rounds += 1
            sections, names = self._sections()
            for name in [n for n in self.clusters if n not in names]:
                await self._forget(self.clusters.pop(name))
            done = []
            for section in sections:
                name = str(_get(section, "name", ""))
                state = self.clusters.setdefault(name, ClusterState(name, started=self._now()))
                due = state.next_due is not None and self._now() >= state.next_due
                if force or due:
                    await self._sync(state, section)
                    done.append(state)
            return done

    def _now(self) -> int:
        return self.clock.now()

    async def _sync(self, state: ClusterState, section: Any) -> None:
        state.error = ""
        try:
            every = interval_ns(section)
            if _get(section, "disable_subscriptions", False):
                if not state.disabled:
                    _log.info("subscriptions disabled", cluster=state.name)
                state.disabled = True
                await self._unlink(state, "subscriptions disabled")
                state.next_due = self._now() + every if every else None
                state.count = 0
                return
            state.disabled = False
            target = target_for(section, self.services)
            client = self.services.influxdb.get(state.name)
            if client is None:
                raise SubscriptionError("no URLs configured")
            if state.linked and state.linked != target.name:
                await self._unlink(state, "subscription name changed")
            if state.udp is None or state.udp.nursery is not self._nursery:
                state.udp = UDPListeners(self.services, self._nursery)
            target, grant = await self._tokens(state, target)
            done = await link(client, target, state.udp, grant)
            if grant is not None:
                await self._revoke_unused(state, done)
        except (InfluxDBError, SubscriptionError) as exc:
            self._failed(state, section, str(exc))
            return
        except Exception as exc:  # an odd answer must not stop the server: log, retry later
            self._failed(state, section, f"{type(exc).__name__}: {exc}")
            return
        state.linked, state.client, state.failures = target.name, client, 0
        state.count = len(done.keep) + len(done.create)
        state.next_due = self._now() + every if every else None
        for sub in done.drop:
            _log.info("dropped subscription", cluster=state.name, db=sub.db, rp=sub.rp)
        for sub in done.create:
            _log.info(
                "created subscription",
                cluster=state.name,
                db=sub.db,
                rp=sub.rp,
                subscription=sub.name,
                destination=sub.destinations[0],
            )

    async def _tokens(self, state: ClusterState, target: Target) -> tuple[Target, Any]:
        """With auth on, the target knows our granted tokens and new subscriptions get one."""
        from kapacitrio.auth.service import service_of

        auth = service_of(self.services)
        if auth is None or not auth.enabled or target.protocol == "udp":
            return target, None
        granted = await auth.tokens.granted(state.name)
        tokens = tuple((t, db, rp) for t, (db, rp) in granted.items())

        async def grant(db: str, rp: str) -> str:
            return await auth.tokens.grant(state.name, db, rp)

        return replace(target, tokens=tokens), grant

    async def _revoke_unused(self, state: ClusterState, done: Plan) -> None:
        from kapacitrio.auth.service import service_of

        auth = service_of(self.services)
        if auth is None:
            return
        in_use = set()
        for sub in done.keep + done.create:
            try:
                in_use.add(urlsplit(sub.destinations[0]).password or "")
            except (ValueError, IndexError):
                continue
        await auth.tokens.revoke_except(state.name, in_use)

    def _failed(self, state: ClusterState, section: Any, message: str) -> None:
        state.error = message
        state.failures += 1
        delay = min(RETRY_FIRST * 2 ** (state.failures - 1), RETRY_MAX)
        try:
            every = interval_ns(section)
        except SubscriptionError:
            every = 0
        delay_ns = int(delay * NS)
        if every:
            delay_ns = min(delay_ns, every)
        state.next_due = self._now() + max(delay_ns, 1)
        _log.error(
            "failed to link subscriptions for cluster",
            cluster=state.name,
            error=message,
            retry_in=f"{delay_ns / NS:g}s",
        )
        startup = _startup_timeout_ns(section)
        if not state.linked and not state.gave_up_warned and startup:
            if self._now() - state.started >= startup:
                state.gave_up_warned = True
                _log.warning(
                    "failed to connect to InfluxDB within startup-timeout, still retrying",
                    cluster=state.name,
                )

    async def _unlink(self, state: ClusterState, why: str) -> None:
        if state.udp is not None:
            state.udp.close_all()
        if not state.linked or state.client is None:
            return
        try:
            dropped = await unlink(state.client, state.linked)
        except Exception as exc:  # logged, never fatal: the next link tries again
            _log.error("failed to unlink subscriptions", cluster=state.name, error=str(exc))
            return
        _log.info("unlinked subscriptions", cluster=state.name, reason=why, dropped=len(dropped))
        state.linked, state.count = "", 0

    async def _forget(self, state: ClusterState) -> None:
        await self._unlink(state, "cluster removed or disabled")


def _startup_timeout_ns(section: Any) -> int:
    from kapacitrio.config import duration_ns

    try:
        return duration_ns(_get(section, "startup_timeout", "5m0s") or 0)
    except ValueError:
        return 0


def _server_clock(services: Any) -> Any:
    clock = getattr(getattr(services, "taskmaster", None), "clock", None)
    if clock is not None:
        return clock
    from kapacitrio.engine.clock import WallClock

    return WallClock()


def num_subscriptions(services: Any) -> int:
    """How many subscriptions the running service keeps (0 when it is not running)."""
    extra = getattr(services, "extra", None) or {}
    svc = extra.get("subscriptions")
    return svc.num_subscriptions if isinstance(svc, SubscriptionService) else 0


async def start(services: Any, nursery: trio.Nursery) -> SubscriptionService:
    """Start linking in the server's nursery; the service is `services.extra["subscriptions"]`."""
    svc = SubscriptionService(services, wait_for_http=10.0)
    extra = getattr(services, "extra", None)
    if isinstance(extra, dict):
        extra["subscriptions"] = svc
    await nursery.start(svc.run)
    return svc
