"""The UDP service: one listener per enabled `[[udp]]`, in the server's nursery, with their stats.

A listener that cannot bind stops the start with an error naming its address (its data would be
lost otherwise). `/debug/vars` shows each listener as a `udp` statistic tagged with its `bind`.
"""

from __future__ import annotations

from typing import Any

import trio

from kapacitrio import logs
from kapacitrio.cluster.inputs import write_body
from kapacitrio.engine.clock import WallClock
from kapacitrio.udp.config import UDPConfig
from kapacitrio.udp.listener import UDPListener

_log = logs.get_logger("udp")


class UDPService:
    """The running `[[udp]]` listeners."""

    def __init__(self, services: Any) -> None:
        self.services = services
        self.listeners: list[UDPListener] = []

    async def _write(self, db: str, rp: str, precision: str, body: bytes) -> None:
        rp = rp or self.services.config.default_retention_policy
        await write_body(self.services, db, rp, precision, body)

    async def start(self, configs: list[UDPConfig], nursery: trio.Nursery) -> None:
        """Bind and serve every enabled listener; raises `OSError` naming the address that failed."""
        for cfg in configs:
            if not cfg.enabled:
                continue
            listener = UDPListener(
                cfg.bind_address,
                cfg.database,
                cfg.retention_policy,
                self._write,
                WallClock(),
                buffer=cfg.buffer,
                read_buffer=cfg.read_buffer,
            )
            try:
                addr = await listener.bind()
            except OSError as exc:
                raise OSError(
                    exc.errno, f"[[udp]] cannot listen on {cfg.bind_address}: {exc.strerror}"
                ) from exc
            await nursery.start(listener.serve)
            self.listeners.append(listener)
            _log.info(
                "started listening on UDP", bind=addr, db=cfg.database, rp=cfg.retention_policy
            )

    def stats(self) -> dict[str, Any]:
        """`/debug/vars` entries, one per listener."""
        host = self.services.config.hostname
        return {
            f"udp:bind={item.addr}": {
                "name": "udp",
                "tags": {"bind": item.addr, "host": host},
                "values": dict(item.stats),
            }
            for item in self.listeners
        }


async def start(services: Any, nursery: trio.Nursery) -> None:
    """Server plugin: start the `[[udp]]` listeners; the service is `services.extra["udp"]`."""
    svc = UDPService(services)
    services.extra["udp"] = svc
    services.extra.setdefault("stat_sources", []).append(svc.stats)
    await svc.start(services.config.get("udp"), nursery)
