"""The router: pools alerts, runs each round through the filters and sends along the routes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import trio

from kapacitrio.kkok import store as kinds
from kapacitrio.kkok.alert import Alert, alert_from_json
from kapacitrio.kkok.clock import Clock, WallClock
from kapacitrio.kkok.errors import KkokError, NotFound
from kapacitrio.kkok.filters import Filter, FilterEnv, make_filter
from kapacitrio.kkok.js import JSEngine
from kapacitrio.kkok.params import check_id
from kapacitrio.kkok.pool import Pool
from kapacitrio.kkok.route import Route, make_route
from kapacitrio.kkok.store import DocStore, MemoryStore, pending_id
from kapacitrio.kkok.transports import TransportEnv
from kapacitrio.logs import get_logger

log = get_logger("kkok")


class Router:
    """Filters, routes and the pool; every change is stored before it takes effect."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        store: DocStore | None = None,
        initial_interval: int = 30,
        max_interval: int = 30,
        js_time_limit: float = 1.0,
        services: Any = None,
        retry_delay: float = 1.0,
        api_token: str = "",
        settings: Callable[[], Any] | None = None,
    ) -> None:
        self.api_token = api_token
        #: Live `[kkok]` settings (overrides change the token and intervals without a restart).
        self.settings = settings
        self.clock = clock or WallClock()
        self.store = store if store is not None else MemoryStore()
        self.js = JSEngine(js_time_limit)
        self.pool = Pool(initial_interval, max_interval)
        self.filter_env = FilterEnv(self.js, self.clock)
        self.transport_env = TransportEnv(
            self.js, self.clock, services=services, retry_delay=retry_delay
        )
        self.static_filters: list[Filter] = []
        self.dynamic_filters: dict[str, tuple[int, Filter]] = {}
        #: In a cluster only the leader runs rounds; the others mirror the pool through the store.
        self.is_leader: Callable[[], bool] = lambda: True
        #: How long a member must have been the leader before its rounds send (a cluster's lease):
        #: a member that only looks gone for a moment is not replaced by a second sender.
        self.leader_settle_ns = 0
        self._leader_since: int | None = None
        #: In a cluster, a source of sequence numbers no other member hands out (wall-clock ns).
        self.seq_source: Callable[[], int] | None = None
        self.routes: dict[str, Route] = {}
        self._lock = trio.Lock()
        self.rounds = 0
        self.delivery_errors: list[str] = []

    # -- live settings

    def token(self) -> str:
        """The API token now in force ("" when the API is open)."""
        if self.settings is not None:
            return str(getattr(self.settings(), "api_token", self.api_token) or "")
        return self.api_token

    def refresh_settings(self) -> None:
        if self.settings is None:
            return
        cfg = self.settings()
        self.pool.set_limits(
            int(getattr(cfg, "initial_interval", self.pool.initial_interval)),
            int(getattr(cfg, "max_interval", self.pool.max_interval)),
        )

    # -- setup

    def add_static_filter(self, params: dict[str, Any]) -> None:
        params = dict(params)
        fid = params.pop("id", None)
        if not isinstance(fid, str):
            raise KkokError("static filter without an id")
        if any(f.id == fid for f in self.static_filters):
            raise KkokError(f"duplicate static filter id: {fid}")
        self.static_filters.append(make_filter(fid, params, self.filter_env, dynamic=False))

    def add_static_route(self, rid: str, spec: Any) -> None:
        self.routes[rid] = make_route(rid, spec, self.transport_env)

    async def load(self) -> None:
        """Restore dynamic filters, routes, static filters' state and the pending pool."""
        for doc in await self.store.list(kinds.FILTERS):
            if self._static(doc.get("id")) is not None:
                log.warning("stored filter shadowed by a static one", filter=doc.get("id"))
                continue
            try:
                flt = make_filter(doc["id"], doc["params"], self.filter_env, dynamic=True)
            except (KkokError, KeyError, TypeError) as exc:
                log.error("stored filter dropped", err=str(exc))
                continue
            self.dynamic_filters[flt.id] = (int(doc["seq"]), flt)
        for doc in await self.store.list(kinds.STATIC):
            flt = self._static(doc.get("id"))
            if flt is not None:
                flt.disabled = bool(doc.get("disabled"))
                flt.inactive_until = doc.get("inactive")
        for doc in await self.store.list(kinds.ROUTES):
            try:
                self.routes[doc["id"]] = make_route(doc["id"], doc["spec"], self.transport_env)
            except (KkokError, KeyError, TypeError) as exc:
                log.error("stored route dropped", err=str(exc))
        for doc in await self.store.list(kinds.PENDING):
            try:
                alert = alert_from_json(doc["alert"], now_ns=self.clock.now(), allow_stats=True)
            except (KkokError, KeyError, TypeError) as exc:
                log.error("stored alert dropped", err=str(exc))
                continue
            self.pool.add(alert, int(doc["seq"]))

    def apply_stored(self, kind: str, doc_id: str, doc: Any) -> None:
        """A filter or route stored elsewhere (a cluster peer) changed; None means deleted."""
        try:
            if kind == kinds.FILTERS:
                if doc is None:
                    self.dynamic_filters.pop(doc_id, None)
                elif self._static(doc_id) is None:
                    flt = make_filter(doc["id"], doc["params"], self.filter_env, dynamic=True)
                    self.dynamic_filters[flt.id] = (int(doc["seq"]), flt)
            elif kind == kinds.ROUTES:
                if doc is None:
                    self.routes.pop(doc_id, None)
                else:
                    self.routes[doc_id] = make_route(doc_id, doc["spec"], self.transport_env)
            elif kind == kinds.PENDING:
                if doc is None:
                    self.pool.discard(int(doc_id))
                else:
                    alert = alert_from_json(doc["alert"], now_ns=self.clock.now(), allow_stats=True)
                    self.pool.add(alert, int(doc["seq"]))
            elif kind == kinds.STATIC:
                flt = self._static(doc_id)
                if flt is not None and doc is not None:
                    flt.disabled = bool(doc.get("disabled"))
                    flt.inactive_until = doc.get("inactive")
        except (KkokError, KeyError, TypeError) as exc:
            log.error("stored kkok document dropped", kind=kind, id=doc_id, err=str(exc))

    # -- alerts

    async def add_alert(self, alert: Alert) -> None:
        """Pool an alert (stored first, so it survives a restart)."""
        async with self._lock:
            seq = self.pool.next_seq()
            if self.seq_source is not None:
                seq = max(seq, self.seq_source())
            await self.store.put(
                kinds.PENDING,
                pending_id(seq),
                {"seq": seq, "alert": alert.to_json(with_stats=True)},
            )
            self.pool.add(alert, seq)

    def pending(self) -> list[Alert]:
        return self.pool.pending()

    # -- filters

    def _static(self, fid: Any) -> Filter | None:
        return next((f for f in self.static_filters if f.id == fid), None)

    def filters(self) -> list[Filter]:
        """Every filter in processing order (static first, then dynamic by creation)."""
        dynamic = sorted(self.dynamic_filters.values(), key=lambda pair: pair[0])
        return self.static_filters + [f for _, f in dynamic]

    async def expire_filters(self) -> None:
        now = self.clock.now()
        for fid, (_, flt) in list(self.dynamic_filters.items()):
            if flt.expired(now):
                await self.store.delete(kinds.FILTERS, fid)
                self.dynamic_filters.pop(fid, None)

    async def filter_ids(self) -> list[str]:
        await self.expire_filters()
        return [f.id for f in self.filters()]

    async def get_filter(self, fid: str) -> Filter:
        check_id("filter", fid)
        await self.expire_filters()
        flt = self._static(fid)
        if flt is None and fid in self.dynamic_filters:
            flt = self.dynamic_filters[fid][1]
        if flt is None:
            raise NotFound(f"no such filter: {fid}")
        return flt

    async def put_filter(self, fid: str, body: Any) -> Filter:
        """Create or replace a dynamic filter (replacing keeps its place in the order)."""
        check_id("filter", fid)
        if self._static(fid) is not None:
            raise KkokError(f"filter {fid} is static (from the config file) and cannot be replaced")
        if isinstance(body, dict):
            body = {k: v for k, v in body.items() if k != "inactive"}
        flt = make_filter(fid, body, self.filter_env, dynamic=True)
        async with self._lock:
            await self.expire_filters()
            old = self.dynamic_filters.get(fid)
            seq = old[0] if old else self._next_filter_seq()
            await self._save_filter(seq, flt)
            self.dynamic_filters[fid] = (seq, flt)
        return flt

    def _next_filter_seq(self) -> int:
        return max((seq for seq, _ in self.dynamic_filters.values()), default=-1) + 1

    async def _save_filter(self, seq: int, flt: Filter) -> None:
        if not flt.dynamic:
            await self.store.put(
                kinds.STATIC,
                flt.id,
                {"id": flt.id, "disabled": flt.disabled, "inactive": flt.inactive_until},
            )
            return
        params = flt.to_json()
        await self.store.put(kinds.FILTERS, flt.id, {"id": flt.id, "seq": seq, "params": params})

    async def delete_filter(self, fid: str) -> None:
        flt = await self.get_filter(fid)
        if not flt.dynamic:
            raise KkokError(f"filter {fid} is static (from the config file) and cannot be deleted")
        async with self._lock:
            await self.store.delete(kinds.FILTERS, fid)
            self.dynamic_filters.pop(fid, None)

    async def _change_state(self, fid: str, disabled: bool, inactive: int | None) -> None:
        flt = await self.get_filter(fid)
        old = (flt.disabled, flt.inactive_until)
        flt.disabled, flt.inactive_until = disabled, inactive
        seq = self.dynamic_filters[fid][0] if flt.dynamic else 0
        try:
            await self._save_filter(seq, flt)
        except BaseException:
            flt.disabled, flt.inactive_until = old
            raise

    async def enable_filter(self, fid: str, enabled: bool) -> None:
        """Enable (also ending an inactivation) or disable a filter."""
        flt = await self.get_filter(fid)
        await self._change_state(fid, not enabled, None if enabled else flt.inactive_until)

    async def inactivate_filter(self, fid: str, until_ns: int) -> None:
        flt = await self.get_filter(fid)
        await self._change_state(fid, flt.disabled, until_ns)

    # -- routes

    def route_ids(self) -> list[str]:
        return sorted(self.routes)

    def get_route(self, rid: str) -> Route:
        check_id("route", rid)
        route = self.routes.get(rid)
        if route is None:
            raise NotFound(f"no such route: {rid}")
        return route

    async def put_route(self, rid: str, body: Any) -> Route:
        route = make_route(rid, body, self.transport_env)
        async with self._lock:
            await self.store.put(kinds.ROUTES, rid, {"id": rid, "spec": route.spec})
            self.routes[rid] = route
        return route

    # -- rounds

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Process a round every interval, forever."""
        task_status.started()
        while True:
            self.refresh_settings()
            await self.clock.sleep_until(self.clock.now() + self.pool.interval_ns())
            if not self.leads_settled():
                continue
            try:
                await self.run_round()
            except Exception as exc:  # a broken round must not stop the router or the server
                log.error("round failed; its alerts stay pooled for the next one", err=repr(exc))

    def leads_settled(self) -> bool:
        """Whether this member is the leader, and has been for `leader_settle_ns` already."""
        if not self.is_leader():
            self._leader_since = None
            return False
        now = self.clock.now()
        if self._leader_since is None:
            self._leader_since = now
        return now - self._leader_since >= self.leader_settle_ns

    async def run_round(self) -> list[Alert]:
        """Filter and send what is pooled now; returns the alerts that were sent."""
        async with self._lock:
            await self.expire_filters()
            taken = self.pool.take()
            filters = self.filters()
        self.rounds += 1
        if not taken:
            return []
        try:
            alerts = await self.apply_filters([a for _, a in taken], filters)
            await self.dispatch(alerts)
        except BaseException:
            for seq, alert in taken:  # back in the pool; they are still in the store too
                self.pool.add(alert, seq)
            raise
        for seq, _ in taken:
            await self.store.delete(kinds.PENDING, pending_id(seq))
        return alerts

    async def apply_filters(self, alerts: list[Alert], filters: list[Filter]) -> list[Alert]:
        """Run alerts through the active filters; a failing filter is skipped, losing nothing."""
        for flt in filters:
            if not alerts:
                break
            if not flt.active(self.clock.now()):
                continue
            await trio.lowlevel.checkpoint()
            try:
                alerts = await flt.process([a.clone() for a in alerts])
            except Exception as exc:  # bad JS, failing commands, or a bug: never lose the alerts
                log.error("filter failed, alerts passed on unchanged", filter=flt.id, err=str(exc))
        return alerts

    async def dispatch(self, alerts: list[Alert]) -> None:
        """Send each alert along each of its routes; transports run side by side."""
        by_route: dict[str, list[Alert]] = {}
        for alert in alerts:
            for rid in alert.routes:
                by_route.setdefault(rid, []).append(alert)
        async with trio.open_nursery() as nursery:
            for rid, batch in by_route.items():
                route = self.routes.get(rid)
                if route is None:
                    log.warning("no such route", route=rid, alerts=len(batch))
                    continue
                for transport in route.transports:
                    nursery.start_soon(self._deliver, rid, transport, batch)

    async def _deliver(self, rid: str, transport: Any, batch: list[Alert]) -> None:
        try:
            await transport.deliver(batch)
        except Exception as exc:  # one failing transport never stops the others
            text = f"route {rid} {transport}: {exc}"
            self.delivery_errors.append(text)
            del self.delivery_errors[:-100]
            log.error("delivery failed", route=rid, transport=str(transport), err=str(exc))
