"""Errors of the kkok router, each carrying the HTTP status the API answers with."""

from __future__ import annotations


class KkokError(Exception):
    """Bad input to the router (HTTP 400)."""

    status = 400


class NotFound(KkokError):
    """An unknown filter or route id (HTTP 404)."""

    status = 404
