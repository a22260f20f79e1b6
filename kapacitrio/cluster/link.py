"""The NATS connection of a cluster member: JetStream streams and KV buckets, used from Trio.

Every call goes through the `AsyncioBridge` (see `cluster.bridge` for why a loop thread): the
methods here are Trio coroutines whose bodies run as asyncio coroutines on the bridge's loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
from dataclasses import dataclass
from typing import Any

import trio

from kapacitrio.cluster.bridge import AsyncioBridge, BridgeClosed
from kapacitrio.cluster.config import ClusterConfig
from kapacitrio.logs import get_logger

_log = get_logger("cluster")


def _nats_errors() -> tuple[type[BaseException], ...]:
    import nats.errors
    import nats.js.errors

    return (nats.errors.Error, nats.js.errors.Error, OSError, asyncio.TimeoutError, TimeoutError)


@dataclass
class Names:
    """The stream, subject and bucket names of one cluster (all under `[cluster] prefix`)."""

    prefix: str

    @property
    def points_stream(self) -> str:
        return f"{self.prefix}_points"

    @property
    def points_subject(self) -> str:
        return f"{self.prefix}.points"

    @property
    def defs(self) -> str:
        return f"{self.prefix}_defs"

    @property
    def members(self) -> str:
        return f"{self.prefix}_members"

    @property
    def state(self) -> str:
        return f"{self.prefix}_state"

    @property
    def state_objects(self) -> str:
        """The object store of checkpoints too large for one KV value (`cluster.statestore`)."""
        return f"{self.prefix}_state_objects"


class NatsLink:
    """One connection to NATS with JetStream; start with `await nursery.start(link.run)`."""

    def __init__(self, cfg: ClusterConfig, name: str) -> None:
        self.cfg = cfg
        self.name = name
        self.names = Names(cfg.prefix)
        self.bridge = AsyncioBridge(f"nats-{name}")
        self.errors = _nats_errors()
        self.nc: Any = None
        self.js: Any = None
        self.jsm: Any = None
        self._kv: dict[str, Any] = {}
        self._objects: Any = None
        #: The client's last error (a refused certificate, ...), and why the last connect failed.
        self.last_error = ""
        self.connect_error = ""
        #: Bumped on every reconnect: watchers restart (and so resynchronise) when it changes.
        self.generation = 0
        self.connected = False

    # -- lifecycle
    async def run(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        """Connect (retrying until NATS answers), create streams and buckets, serve until cancelled."""
        async with trio.open_nursery() as nursery:
            await nursery.start(self.bridge.run)
            self.bridge.on_close(self._close)
            delay = 0.2
            while True:
                try:
                    await self.bridge.call(self._connect)
                    await self.bridge.call(self._setup)
                    break
                except self.errors as exc:
                    self.connect_error = self._why(exc)
                    _log.warning(
                        "cannot reach NATS yet",
                        urls=",".join(self.cfg.nats_urls),
                        err=self.connect_error,
                    )
                    await self.bridge.call(self._close)
                    await trio.sleep(delay)
                    delay = min(delay * 2, 2.0)
            _log.info("connected to NATS", url=str(self.nc.connected_url.geturl()))
            task_status.started(self)
            await trio.sleep_forever()

    def _why(self, exc: BaseException) -> str:
        """Why a connect failed: nats-py's "no servers" hides the cause its error callback saw."""
        text = repr(exc)
        if self.last_error and self.last_error != text:
            text += f" (last error: {self.last_error})"
        return text

    async def _connect(self) -> None:
        import nats

        async def disconnected() -> None:
            self.connected = False
            _log.warning("disconnected from NATS")

        async def reconnected() -> None:
            self.connected = True
            self.last_error = ""
            self.generation += 1
            _log.info("reconnected to NATS", url=str(self.nc.connected_url.geturl()))

        async def error(exc: Exception) -> None:
            # nats-py retries by itself (the first connect too) and tells only this callback why
            # it failed: a refused certificate or sign-in is a warning, once per distinct reason.
            text = repr(exc)
            if not self.connected and text != self.last_error:
                _log.warning("cannot connect to NATS", urls=",".join(self.cfg.nats_urls), err=text)
                reasons = [r for r in self.connect_error.split("; ") if r and r != text]
                self.connect_error = "; ".join([*reasons[-2:], text])  # e.g. refused, then reset
            else:
                _log.debug("NATS client error", err=text)
            self.last_error = text

        beat = self.cfg.seconds("heartbeat")
        opts: dict[str, Any] = {
            "servers": list(self.cfg.nats_urls),
            "name": f"kapacitrio-{self.name}",
            "connect_timeout": 2,
            "reconnect_time_wait": min(1.0, beat),
            "max_reconnect_attempts": -1,
            "ping_interval": max(1, int(self.cfg.seconds("lease") / 2)),
            "max_outstanding_pings": 2,
            "allow_reconnect": True,
            "disconnected_cb": disconnected,
            "reconnected_cb": reconnected,
            "error_cb": error,
        }
        opts.update(self._auth_options())
        self.last_error = ""
        self.nc = await nats.connect(**opts)
        self.last_error = self.connect_error = ""
        self.connected = True
        self.js = self.nc.jetstream(timeout=max(1.0, min(5.0, self.cfg.seconds("lease") / 2)))
        self.jsm = self.nc.jsm()

    def _auth_options(self) -> dict[str, Any]:
        """nats-py's options for `[cluster]`'s credentials and TLS."""
        from kapacitrio.tlsclient import client_context

        cfg, opts = self.cfg, {}
        if cfg.username:
            opts["user"], opts["password"] = cfg.username, cfg.password
        if cfg.token:
            opts["token"] = cfg.token
        if cfg.nkeys_seed:
            opts["nkeys_seed"] = cfg.nkeys_seed
        if cfg.credentials_file:
            opts["user_credentials"] = cfg.credentials_file
        if cfg.tls:
            opts["tls"] = client_context(
                cfg.ssl_ca, cfg.ssl_cert, cfg.ssl_key, cfg.insecure_skip_verify
            )
        return opts

    async def _setup(self) -> None:
        from nats.js.api import StorageType, StreamConfig

        n, replicas = self.names, self.cfg.replicas
        retention = self.cfg.seconds("retention")
        config = StreamConfig(
            name=n.points_stream,
            subjects=[f"{n.points_subject}.>"],
            num_replicas=replicas,
            max_age=retention,
            storage=StorageType.FILE,
            duplicate_window=min(120.0, retention),
        )
        try:
            await self.js.add_stream(config)
        except self.errors:
            await self.js.update_stream(config)
        self._kv[n.defs] = await self._bucket(n.defs, None)
        self._kv[n.state] = await self._bucket(n.state, None)
        self._kv[n.members] = await self._bucket(n.members, self.cfg.seconds("lease"))
        self._objects = await self._object_store(n.state_objects)

    async def _object_store(self, name: str) -> Any:
        import nats.js.errors

        try:
            return await self.js.object_store(name)
        except nats.js.errors.BucketNotFoundError:
            return await self.js.create_object_store(bucket=name, replicas=self.cfg.replicas)

    async def _bucket(self, name: str, ttl: float | None) -> Any:
        """Create a KV bucket, or adopt an existing one (its TTL set to ours)."""
        import nats.js.errors

        try:
            return await self.js.create_key_value(
                bucket=name, history=1, replicas=self.cfg.replicas, ttl=ttl
            )
        except nats.js.errors.BadRequestError:
            info = await self.js.stream_info(f"KV_{name}")
            if ttl is not None and info.config.max_age != ttl:
                config = info.config
                config.max_age = ttl
                config.duplicate_window = min(ttl, config.duplicate_window or ttl)
                await self.js.update_stream(config)
            return await self.js.key_value(name)

    async def _close(self) -> None:
        nc, self.nc = self.nc, None
        if nc is not None and not nc.is_closed:
            try:
                await asyncio.wait_for(nc.close(), 3)
            except Exception:
                pass

    # -- key-value
    async def kv_put(self, bucket: str, key: str, value: bytes) -> int:
        async def go() -> int:
            return await self._kv[bucket].put(key, value)

        return await self.bridge.call(go)

    async def kv_get(self, bucket: str, key: str) -> bytes | None:
        import nats.js.errors

        async def go() -> bytes | None:
            try:
                entry = await self._kv[bucket].get(key)
            except nats.js.errors.KeyNotFoundError:
                return None
            return entry.value

        return await self.bridge.call(go)

    async def kv_create(self, bucket: str, key: str, value: bytes) -> bytes:
        """Put `value` at `key` unless the key holds one already; returns the value it holds."""
        import nats.js.errors

        async def go() -> bytes:
            kv = self._kv[bucket]
            try:
                await kv.create(key, value)
                return value
            except nats.js.errors.KeyWrongLastSequenceError:
                return (await kv.get(key)).value

        return await self.bridge.call(go)

    async def kv_delete(self, bucket: str, key: str) -> None:
        async def go() -> None:
            await self._kv[bucket].delete(key)

        await self.bridge.call(go)

    async def kv_items(self, bucket: str) -> dict[str, bytes]:
        """Every live key of a bucket with its value (a snapshot; for small buckets)."""
        import nats.js.errors

        async def go() -> dict[str, bytes]:
            kv = self._kv[bucket]
            try:
                keys = await kv.keys()
            except nats.js.errors.NoKeysError:
                return {}
            entries = await asyncio.gather(*(kv.get(k) for k in keys), return_exceptions=True)
            return {
                k: e.value
                for k, e in zip(keys, entries, strict=True)
                if not isinstance(e, BaseException) and e.value is not None
            }

        return await self.bridge.call(go)

    async def kv_watch(self, bucket: str) -> Any:
        """A watcher of every key (current values first, then a None marker, then changes)."""

        async def go() -> Any:
            return await self._kv[bucket].watchall()

        return await self.bridge.call(go)

    async def watch_next(self, watcher: Any, timeout: float) -> Any:
        """The next entry of a watcher; raises `TimeoutError` after `timeout` seconds."""

        async def go() -> Any:
            import nats.errors

            try:
                return await watcher.updates(timeout=timeout)
            except nats.errors.TimeoutError:
                raise TimeoutError from None

        return await self.bridge.call(go)

    async def watch_stop(self, watcher: Any) -> None:

        async def go() -> None:
            try:
                await watcher.stop()
            except Exception:
                pass

        with trio.CancelScope(shield=True), trio.move_on_after(2):
            with contextlib.suppress(BridgeClosed):
                await self.bridge.call(go)

    # -- objects (checkpoints too large for a KV value)
    async def obj_put(self, name: str, data: bytes) -> None:
        async def go() -> None:
            await self._objects.put(name, data)

        await self.bridge.call(go)

    async def obj_get(self, name: str) -> bytes | None:
        import nats.js.errors

        async def go() -> bytes | None:
            try:
                return (await self._objects.get(name)).data
            except nats.js.errors.NotFoundError:
                return None

        return await self.bridge.call(go)

    async def obj_delete(self, name: str) -> None:
        import nats.js.errors

        async def go() -> None:
            try:
                await self._objects.delete(name)
            except nats.js.errors.NotFoundError:
                pass

        await self.bridge.call(go)

    # -- points
    async def publish_all(self, messages: list[tuple[str, bytes, dict[str, str]]]) -> list[int]:
        """Publish to JetStream and wait until every message is stored; returns their sequences."""

        async def go() -> list[int]:
            acks = await asyncio.gather(*(self.js.publish(s, p, headers=h) for s, p, h in messages))
            return [a.seq for a in acks]

        return await self.bridge.call(go)

    async def pull_consumer(
        self, durable: str, subject: str, *, start_seq: int = 0, start_ns: int = 0
    ) -> Any:
        """A fresh durable pull consumer from `start_seq` (or `start_ns`, or new messages only)."""
        from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

        if start_seq > 0:
            policy = {"deliver_policy": DeliverPolicy.BY_START_SEQUENCE, "opt_start_seq": start_seq}
        elif start_ns > 0:
            when = datetime.datetime.fromtimestamp(start_ns / 1e9, tz=datetime.UTC)
            policy = {"deliver_policy": DeliverPolicy.BY_START_TIME, "opt_start_time": when}
        else:
            policy = {"deliver_policy": DeliverPolicy.NEW}
        stream = self.names.points_stream

        async def go() -> Any:
            import nats.js.errors

            try:
                await self.jsm.delete_consumer(stream, durable)
            except nats.js.errors.NotFoundError:
                pass
            config = ConsumerConfig(
                ack_policy=AckPolicy.ALL,
                ack_wait=3600.0,
                max_ack_pending=-1,
                inactive_threshold=max(60.0, 10 * self.cfg.seconds("lease")),
                **policy,
            )
            return await self.js.pull_subscribe(
                subject, durable=durable, stream=stream, config=config
            )

        return await self.bridge.call(go)

    async def fetch(self, sub: Any, batch: int, timeout: float) -> list[Any]:
        """Up to `batch` messages; an empty list when none came within `timeout` seconds."""

        async def go() -> list[Any]:
            import nats.errors

            try:
                return await sub.fetch(batch, timeout=timeout)
            except nats.errors.TimeoutError:
                return []

        return await self.bridge.call(go)

    async def ack(self, msg: Any) -> None:
        async def go() -> None:
            await msg.ack()

        await self.bridge.call(go)

    async def unsubscribe(self, sub: Any) -> None:

        async def go() -> None:
            try:
                await sub.unsubscribe()
            except Exception:
                pass

        with trio.CancelScope(shield=True), trio.move_on_after(2):
            with contextlib.suppress(BridgeClosed):
                await self.bridge.call(go)

    async def drop_consumer(self, durable: str) -> None:
        """Delete a consumer (best effort: an unused one also expires on its own)."""
        if not self.connected:  # nothing to tidy on a server we cannot reach
            return

        async def go() -> None:
            try:
                await self.jsm.delete_consumer(self.names.points_stream, durable)
            except Exception:
                pass

        with trio.CancelScope(shield=True), trio.move_on_after(2):
            try:
                await self.bridge.call(go)
            except Exception:
                pass

    async def consumer_lag(self, durable: str) -> dict[str, int] | None:
        """(pending, ack-pending, delivered stream sequence) of one consumer, or None."""

        async def go() -> dict[str, int] | None:
            import nats.js.errors

            try:
                info = await self.jsm.consumer_info(self.names.points_stream, durable)
            except nats.js.errors.NotFoundError:
                return None
            return {
                "pending": int(info.num_pending or 0),
                "ack_pending": int(info.num_ack_pending or 0),
                "delivered_seq": int(info.delivered.stream_seq or 0) if info.delivered else 0,
            }

        return await self.bridge.call(go)
