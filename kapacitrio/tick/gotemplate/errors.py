"""The error a template raises when it fails to parse or to execute."""

from __future__ import annotations

from kapacitrio.tick.errors import TickError


class TemplateError(TickError):
    """A template failed to parse or to execute; the text names the template like Go does."""
