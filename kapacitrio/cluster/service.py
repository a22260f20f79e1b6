"""The cluster member: NATS link, shared store, membership, placement, ingest, remote changes.

`open_cluster(cfg, local_store)` yields None when `[cluster] enabled` is false (the server then
runs exactly as a single process on SQLite), else a `Cluster` whose `store` replaces the local
store. The link and the watchers live in the context's own nursery, which outlives the server's
services (they flush to the store when they stop); `start` puts membership and placement into
the server's nursery once the services exist, and `stop` moves this member's tasks away cleanly
(drained, checkpointed) before the services are cancelled.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import trio

from kapacitrio.cluster.bridge import BridgeClosed
from kapacitrio.cluster.config import ClusterConfig
from kapacitrio.cluster.ingest import Ingest
from kapacitrio.cluster.kvstore import ClusterStore, parse_key
from kapacitrio.cluster.link import NatsLink
from kapacitrio.cluster.members import Members
from kapacitrio.cluster.placement import Placement
from kapacitrio.cluster.topics import REPORT_KEY, local_counts
from kapacitrio.config import Config, host_port
from kapacitrio.logs import get_logger

_log = get_logger("cluster")

#: Kinds kept in the definitions bucket (shared by every member).
DEFINITION_KINDS = (
    "tasks",
    "templates",
    "alert_handlers",
    "overrides",
    "kkok_filter",
    "kkok_static_filter",
    "kkok_route",
)
#: Kinds kept in the state bucket.
STATE_KINDS = ("alert_events", "kkok_pending")
#: The pseudo task whose owner is the kkok leader (the one member that runs kkok's rounds).
KKOK_LEADER = "\x00kkok-pool"
#: The pseudo task whose owner links the InfluxDB subscriptions of the cluster.
SUBSCRIPTIONS_LEADER = "\x00subscriptions"
#: The key of the cluster's id in the definitions bucket (not a document key: watchers skip it).
CLUSTER_ID_KEY = "cluster_id"


def advertise_url(cfg: Config, ccfg: ClusterConfig) -> str:
    if ccfg.advertise_url:
        return ccfg.advertise_url.rstrip("/")
    host, port = host_port(cfg.http.bind_address)
    if host in ("", "0.0.0.0", "::"):
        host = cfg.hostname or "localhost"
    scheme = "https" if cfg.http.https_enabled else "http"
    return f"{scheme}://{'[' + host + ']' if ':' in host else host}:{port}"


class Cluster:
    """One member of a cluster (see the module docstring)."""

    def __init__(self, cfg: Config, local: Any) -> None:
        self.config = cfg
        self.cfg: ClusterConfig = cfg.get("cluster")
        self.name = self.cfg.instance_name(cfg.hostname)
        self.url = advertise_url(cfg, self.cfg)
        self.link = NatsLink(self.cfg, self.name)
        n = self.link.names
        shared = {k: n.defs for k in DEFINITION_KINDS} | {k: n.state for k in STATE_KINDS}
        self.store = ClusterStore(local, self.link, shared)
        beat = self.cfg.seconds("heartbeat")
        self.members = Members(self.link, self.name, self.url, beat, self.cfg.seconds("lease"))
        self.ingest = Ingest(
            self.link,
            time.time_ns,
            self.cfg.seconds("checkpoint_interval"),
            min(beat, 1.0),
            self.name,
        )
        self.services: Any = None
        self.placement: Placement | None = None
        self._scope: trio.CancelScope | None = None

    # -- lifecycle
    async def cluster_id(self, proposed: str) -> str:
        """The id every member shows as `cluster_id`: the first member's proposal wins.
        Retried until NATS answers (a new bucket's replicas may still be electing a leader)."""
        key, value = CLUSTER_ID_KEY, proposed.encode()
        raw = await until_answered(
            self.link, "the cluster id", self.link.kv_create, self.link.names.defs, key, value
        )
        return raw.decode()

    async def start(self, services: Any, nursery: trio.Nursery) -> None:
        """Join (heartbeats) and start placing tasks, in the server's nursery."""
        self.services = services
        self.store.listeners.append(self._changed)
        if services.kkok is not None:
            services.kkok.is_leader = self.is_kkok_leader
            services.kkok.seq_source = time.time_ns
            services.kkok.leader_settle_ns = int(self.members.lease * 1e9)
        await nursery.start(self.members.run)
        self.placement = Placement(services, self.members, self.ingest, self.members.heartbeat)
        self._scope = trio.CancelScope()
        await nursery.start(self._run_placement)
        nursery.start_soon(self._watch_members)
        nursery.start_soon(self._report_topics)

    async def _report_topics(self) -> None:
        """Keep this member's topic counts in its heartbeat record (see `cluster.topics`)."""
        while True:
            self.members.extra[REPORT_KEY] = local_counts(self.services.alerts)
            await trio.sleep(self.members.heartbeat)

    def links_subscriptions(self) -> bool:
        """Whether this member links the InfluxDB subscriptions named after the cluster id."""
        return self.members.owner(SUBSCRIPTIONS_LEADER) == self.name

    def kkok_leader(self) -> str | None:
        return self.members.owner(KKOK_LEADER)

    def is_kkok_leader(self) -> bool:
        return self.kkok_leader() == self.name

    async def _run_placement(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        assert self.placement is not None and self._scope is not None
        with self._scope:
            await self.placement.run(task_status=task_status)

    async def _watch_members(self) -> None:
        while True:
            await self.members.changed.wait()
            if self.placement is not None:
                self.placement.poke()
            subscriptions = self.services.extra.get("subscriptions")
            if subscriptions is not None:  # the subscriptions' member may have changed
                subscriptions.trigger()

    async def stop(self) -> None:
        """Stop this member's tasks cleanly (drained, checkpointed), then leave the cluster."""
        if self.placement is not None:
            await self.placement.shutdown()
        if self._scope is not None:
            self._scope.cancel()
        await self.members.leave()

    # -- remote changes
    def _changed(self, kind: str, doc_id: str, doc: Any, remote: bool) -> None:
        svc = self.services
        if svc is None:
            return
        if kind == "tasks":
            if self.placement is not None:
                self.placement.poke()
            subscriptions = self.services.extra.get("subscriptions")
            if subscriptions is not None:  # the subscriptions' member may have changed
                subscriptions.trigger()
            return
        if not remote:
            return
        if kind == "alert_events" and svc.alerts is not None:
            topic_id, _, event_id = doc_id.rpartition("/")
            svc.alerts.apply_stored_event(topic_id, event_id, doc)
        elif kind == "alert_handlers" and svc.alerts is not None:
            topic_id, _, handler_id = doc_id.rpartition("/")
            svc.alerts.apply_stored_handler(topic_id, handler_id, doc)
        elif kind == "overrides":
            overrides = svc.extra.get("config_override")
            reapply = getattr(overrides, "reapply", None)
            if reapply is not None and self._nursery is not None:
                self._nursery.start_soon(reapply, doc_id.partition("/")[0])
        elif kind.startswith("kkok_") and svc.kkok is not None:
            svc.kkok.apply_stored(kind, doc_id, doc)

    _nursery: trio.Nursery | None = None

    async def watch(self, bucket: str) -> None:
        """Apply one bucket's remote changes to the cache; restart (and resync) on reconnect."""
        while True:
            generation = self.link.generation
            try:
                watcher = await self.link.kv_watch(bucket)
            except (*self.link.errors, BridgeClosed) as exc:
                _log.debug("cannot watch yet", bucket=bucket, err=repr(exc))
                await trio.sleep(0.5)
                continue
            seen: set[tuple[str, str]] = set()
            initial = True
            try:
                while self.link.generation == generation:
                    try:
                        entry = await self.link.watch_next(watcher, 1.0)
                    except TimeoutError:
                        continue
                    if entry is None:
                        if initial:  # the current values are in: drop what vanished meanwhile
                            initial = False
                            self._drop_missing(bucket, seen)
                        continue
                    parsed = parse_key(entry.key)
                    if parsed is None:
                        continue
                    if initial:
                        seen.add(parsed)
                    deleted = entry.operation in ("DEL", "PURGE") or entry.value is None
                    text = None if deleted else entry.value.decode()
                    revision = getattr(entry, "revision", None)
                    self.store.apply_remote(parsed[0], parsed[1], text, revision)
            except (*self.link.errors, BridgeClosed) as exc:
                _log.debug("watcher failed", bucket=bucket, err=repr(exc))
                await trio.sleep(0.5)
            finally:
                await self.link.watch_stop(watcher)

    def _drop_missing(self, bucket: str, seen: set[tuple[str, str]]) -> None:
        for kind, b in self.store.shared.items():
            if b != bucket:
                continue
            for doc_id in self.store.cached_ids(kind) - {i for k, i in seen if k == kind}:
                self.store.apply_remote(kind, doc_id, None)


async def until_answered(link: NatsLink, what: str, fn: Any, *args: Any) -> Any:
    """`await fn(*args)`, retried while NATS does not answer (at a start, a new bucket's
    replicas may still be electing their leader)."""
    delay = 0.2
    while True:
        try:
            return await fn(*args)
        except (*link.errors, BridgeClosed) as exc:
            _log.warning("cannot read from NATS yet", what=what, err=repr(exc))
            await trio.sleep(delay)
            delay = min(2 * delay, 2.0)


@contextlib.asynccontextmanager
async def open_cluster(cfg: Config, local: Any) -> AsyncIterator[Cluster | None]:
    """The cluster member for the block, or None when clustering is off."""
    if not cfg.get("cluster").enabled:
        yield None
        return
    cluster = Cluster(cfg, local)
    async with trio.open_nursery() as outer:
        await outer.start(cluster.link.run)
        try:
            # The watchers (and override reapplies) stop first, while the link still runs.
            async with trio.open_nursery() as nursery:
                cluster._nursery = nursery
                await until_answered(cluster.link, "the definitions", cluster.store.load)
                for bucket in sorted(set(cluster.store.shared.values())):
                    nursery.start_soon(cluster.watch, bucket)
                _log.info("joined cluster", instance=cluster.name, url=cluster.url)
                try:
                    yield cluster
                finally:
                    nursery.cancel_scope.cancel()
        finally:
            outer.cancel_scope.cancel()
