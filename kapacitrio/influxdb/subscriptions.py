"""InfluxDB subscriptions: keep a `kapacitor-<id>` subscription on every db/rp pushing writes to us.

For each enabled `[[influxdb]]` cluster the `SubscriptionService` links subscriptions at startup and
again every `subscriptions-sync-interval` (on the server's clock): it lists the databases, their
retention policies and the existing subscriptions, drops ours that are stale (wrong destination,
no longer wanted, or old-style names) and creates the missing ones. An unreachable InfluxDB never
stops the server: the failure is logged and the link is retried with a growing delay.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import trio

from kapacitrio import logs
from kapacitrio.influxdb.client import InfluxDBClient, InfluxDBError
from kapacitrio.influxdb.subscription_links import (
    NS,
    RETRY_FIRST,
    RETRY_MAX,
    Plan,
    SubscriptionError,
    Target,
    interval_ns,
    link,
    setting,
    target_for,
    unlink,
)
from kapacitrio.influxdb.udp import UDPListeners

_log = logs.get_logger("influxdb")


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
        return sections, {str(setting(s, "name", "")) for s in sections}

    async def _round(self, force: bool = False) -> list[ClusterState]:
        async with self._lock:
            self.rounds += 1
            sections, names = self._sections()
            for name in [n for n in self.clusters if n not in names]:
                await self._forget(self.clusters.pop(name))
            done = []
            for section in sections:
                name = str(setting(section, "name", ""))
                state = self.clusters.setdefault(name, ClusterState(name, started=self._now()))
                due = state.next_due is not None and self._now() >= state.next_due
                if force or due:
                    await self._sync(state, section)
                    done.append(state)
            return done

    def _links_here(self, section: Any) -> bool:
        """Whether this server links the section's subscriptions: always, except that in a
        cluster the one subscription named after the shared cluster id is linked by one member
        (the others leave it alone rather than each pointing it at itself in turn)."""
        cluster = (getattr(self.services, "extra", None) or {}).get("cluster")
        mode = str(setting(section, "subscription_mode", "cluster") or "cluster")
        return cluster is None or mode != "cluster" or cluster.links_subscriptions()

    def _now(self) -> int:
        return self.clock.now()

    async def _sync(self, state: ClusterState, section: Any) -> None:
        state.error = ""
        try:
            every = interval_ns(section)
            if setting(section, "disable_subscriptions", False):
                if not state.disabled:
                    _log.info("subscriptions disabled", cluster=state.name)
                state.disabled = True
                await self._unlink(state, "subscriptions disabled")
                state.next_due = self._now() + every if every else None
                state.count = 0
                return
            state.disabled = False
            if not self._links_here(section):
                state.next_due = self._now() + every if every else None
                return
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
        return duration_ns(setting(section, "startup_timeout", "5m0s") or 0)
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
