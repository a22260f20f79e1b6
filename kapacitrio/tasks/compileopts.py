"""What the task compiler takes from the server: the `[deadman]` section and the known UDFs."""

from __future__ import annotations

from typing import Any

from kapacitrio.config import duration_ns
from kapacitrio.pipeline.build import DeadmanConfig, UDFInfo


def deadman_config(config: Any) -> DeadmanConfig:
    """The builder's deadman settings from the current `[deadman]` section."""
    section = config.get("deadman") if config is not None else None
    if section is None:
        return DeadmanConfig()
    return DeadmanConfig(
        threshold=float(section.threshold),
        interval=duration_ns(section.interval),
        id=section.id,
        message=section.message,
        global_=bool(section.global_),
    )


def udf_infos(services: Any) -> dict[str, UDFInfo]:
    """The UDFs a script may call with `@name()`: none unless a UDF service is running."""
    udfs = getattr(services, "udfs", None)
    if udfs is None:
        udfs = (getattr(services, "extra", None) or {}).get("udfs")
    if udfs is None:
        return {}
    return dict(udfs.infos())


def compile_options(services: Any) -> dict[str, Any]:
    """Keyword arguments for `compile_task` (`deadman=`, `udfs=`) from the server's state."""
    return {
        "deadman": deadman_config(getattr(services, "config", None)),
        "udfs": udf_infos(services),
    }
