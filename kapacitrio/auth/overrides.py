"""Config overrides that touch authentication secrets (a section's `AUTH_SECRETS`, e.g. kkok's token).

Clearing or replacing such a secret through `POST /config/...` would open the API it guards, so
only an authenticated admin may do it; with auth off, nobody may (edit the config file instead).
"""

from __future__ import annotations

from typing import Any

from kapacitrio.configoverride import sections
from kapacitrio.configoverride.action import UpdateAction


def protected_options(action: UpdateAction) -> list[str]:
    """The authentication-secret options an override action would set, delete or add."""
    info = sections.lookup(action.section)
    if info is None:
        return []
    guarded = {sections.option_name(f) for f in getattr(info.cls, "AUTH_SECRETS", ())}
    touched: set[str] = set()
    for part in (action.set, action.add):
        touched.update(_names(part))
    touched.update(action.delete)
    if action.remove and guarded:
        touched.update(guarded)  # removing an element drops its secrets too
    return sorted(guarded & {t.replace("_", "-") for t in touched})


def _names(options: dict[str, Any]) -> list[str]:
    return [str(k) for k in options]
