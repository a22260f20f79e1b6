"""Errors of the task and template service, each carrying the HTTP status the API answers with."""

from __future__ import annotations


class TaskServiceError(Exception):
    """Base: `str(err)` is Kapacitor's message; `http_status` the API status."""

    http_status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Invalid(TaskServiceError):
    """Bad input: nothing was changed."""

    http_status = 400


class NotFound(TaskServiceError):
    """No such task or template."""

    http_status = 404


class Internal(TaskServiceError):
    """The server failed; nothing was changed."""

    http_status = 500
