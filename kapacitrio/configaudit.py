"""Kapacitor configuration sections kapacitrio does not have: refused when ignoring them loses data.

An existing `kapacitor.conf` must start, so a known Kapacitor section that kapacitrio does not
support is ignored with one warning. But a section that takes data in (an input, a listener, a
discoverer of scrape targets) or runs work (Flux tasks) and is enabled would, if ignored, silently
lose what it was set up for: that stops the start with an error naming it. Security settings are
strict sections of their own (`[http]`, `[auth]`, see `kapacitrio.config`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Sections whose data or work is lost when ignored: refused when enabled (file or environment).
REFUSED_WHEN_ENABLED: dict[str, str] = {
    "collectd": "a collectd input",
    "opentsdb": "an OpenTSDB input",
    "graphite": "a Graphite input",
    "fluxtask": "Flux tasks",
    "kubernetes": "Kubernetes (k8sAutoscale and scrape target discovery)",
    "azure": "Azure scrape target discovery",
    "consul": "Consul scrape target discovery",
    "dns": "DNS scrape target discovery",
    "ec2": "EC2 scrape target discovery",
    "gce": "GCE scrape target discovery",
    "marathon": "Marathon scrape target discovery",
    "nerve": "Nerve scrape target discovery",
    "serverset": "Serverset scrape target discovery",
    "triton": "Triton scrape target discovery",
}

#: Sections that change nothing kapacitrio keeps or protects: ignored with a warning.
IGNORED: dict[str, str] = {
    "reporting": "usage reports to InfluxData are never sent",
    "stats": "internal statistics are at /kapacitor/v1/debug/vars, not written to a database",
    "swarm": "the swarmAutoscale node is not supported",
    "static": "labels of static discovery belong in [static-discovery.labels]",
}


class Refused(ValueError):
    """An enabled section whose data or work kapacitrio would lose."""


def _enabled(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    return value is True


def _tables(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def audit(name: str, value: Any) -> str | None:
    """The warning for an unknown top-level section, or None if it is not Kapacitor's.

    Raises `Refused` when the section is enabled and ignoring it would lose data.
    """
    key = name.lower()
    if key in REFUSED_WHEN_ENABLED:
        what = REFUSED_WHEN_ENABLED[key]
        if any(isinstance(t, dict) and _enabled(t.get("enabled")) for t in _tables(value)):
            raise Refused(
                f"[{name}] is enabled, but kapacitrio does not support {what}: it would be "
                f"silently lost. Set enabled = false or remove the section"
            )
        return f"[{name}] is not supported by kapacitrio ({what}); it is disabled and ignored"
    if key in IGNORED:
        return f"[{name}] is not supported by kapacitrio and is ignored: {IGNORED[key]}"
    return None


def audit_env(env: Mapping[str, str], prefixes: tuple[str, ...]) -> None:
    """Refuse `KAPACITOR_<SECTION>[_<N>]_ENABLED=true` for a section kapacitrio would lose."""
    for var, value in env.items():
        for prefix in prefixes:
            if not var.startswith(prefix) or not var.endswith("_ENABLED"):
                continue
            middle = var[len(prefix) : -len("_ENABLED")]
            section, _, index = middle.partition("_")
            if index and not index.isdigit():
                continue
            if section.lower() in REFUSED_WHEN_ENABLED and _enabled(value):
                audit(section.lower(), {"enabled": True})
