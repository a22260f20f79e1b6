"""Reading credentials from a request: Basic auth, `u`/`p` query parameters, or a Bearer JWT."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass

from kapacitrio.auth.subtokens import SUBSCRIBER


class CredentialsError(Exception):
    """No usable credentials in the request (Kapacitor's text)."""


@dataclass(frozen=True)
class Credentials:
    """What the request offered: `method` is `user`, `bearer` or `subscription`."""

    method: str
    username: str = ""
    password: str = ""
    token: str = ""


def _basic(value: str) -> tuple[str, str] | None:
    scheme, _, encoded = value.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def parse(headers: Mapping[str, str], args: Mapping[str, str]) -> Credentials:
    """The request's credentials, looked for in Kapacitor's order; `CredentialsError` if none."""
    header = headers.get("Authorization", "")
    if header:
        parts = header.split(" ")
        if len(parts) == 2 and parts[0] == "Bearer":
            return Credentials("bearer", token=parts[1])
        basic = _basic(header)
        if basic is not None:
            user, password = basic
            if user == SUBSCRIBER:
                return Credentials("subscription", token=password)
            return Credentials("user", username=user, password=password)
    user, password = args.get("u", ""), args.get("p", "")
    if user and password:
        return Credentials("user", username=user, password=password)
    raise CredentialsError("unable to parse authentication credentials")
