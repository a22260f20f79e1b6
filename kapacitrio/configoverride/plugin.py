"""Plugs the config override service into the server, first, so overrides are in force early."""

from __future__ import annotations

from typing import Any

import trio

from kapacitrio.configoverride.service import ConfigOverrideService


async def start(services: Any, nursery: trio.Nursery) -> None:
    """Plugin entry point (see `kapacitrio.services`): apply stored overrides at startup."""
    service = ConfigOverrideService(services.config, services.store)
    await service.open()
    services.extra["config_override"] = service
