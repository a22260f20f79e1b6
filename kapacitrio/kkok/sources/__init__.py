"""Alert sources configured in `[[kkok.sources]]` (POST /alerts and the `kkok` handler are not here)."""

from __future__ import annotations

from typing import Any

from kapacitrio.kkok.errors import KkokError
from kapacitrio.kkok.sources.maildir import MaildirSource


def make_source(spec: Any, router: Any) -> MaildirSource:
    """Build a source from its config table (`type` picks the kind)."""
    if not isinstance(spec, dict):
        raise KkokError("each source must be a table")
    spec = dict(spec)
    kind = spec.pop("type", None)
    if kind == "maildir":
        return MaildirSource.from_params(spec, router)
    raise KkokError(f"no such source type: {kind}")
