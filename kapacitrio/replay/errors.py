"""Errors of the recording and replay service: the shared service errors, and query failures."""

from kapacitrio.serviceerrors import Internal, Invalid, NotFound, ServiceError

__all__ = ["Internal", "Invalid", "NotFound", "ServiceError", "SourceError"]


class SourceError(Exception):
    """Querying data for a recording or replay failed; the text becomes the `error` shown."""
