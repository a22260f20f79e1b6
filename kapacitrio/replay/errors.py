"""Errors of the recording and replay service, each with the HTTP status the API answers with."""

from __future__ import annotations


class ReplayServiceError(Exception):
    """Base: `str(err)` is the message; `http_status` the API status."""

    http_status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Invalid(ReplayServiceError):
    """Bad input: nothing was started."""

    http_status = 400


class NotFound(ReplayServiceError):
    """No such task, recording or replay."""

    http_status = 404


class Internal(ReplayServiceError):
    """The server failed."""

    http_status = 500


class SourceError(Exception):
    """Querying data for a recording or replay failed; the text becomes the `error` shown."""
