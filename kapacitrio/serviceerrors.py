"""Errors a service layer raises for the API to answer: each carries its HTTP status.

The API turns any exception with an integer `http_status` into Kapacitor's JSON error, so services
raise these without importing the API.
"""

from __future__ import annotations


class ServiceError(Exception):
    """Base: `str(err)` is the user-facing message; `http_status` the API status."""

    http_status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Invalid(ServiceError):
    """Bad input: nothing was changed or started."""

    http_status = 400


class NotFound(ServiceError):
    """No such object."""

    http_status = 404


class Internal(ServiceError):
    """The server failed; nothing was changed."""

    http_status = 500
