"""Bearer tokens: HMAC-signed JWTs from `[http] shared-secret`, with a required `exp` and a `username`."""

from __future__ import annotations

import jwt

#: HMAC only: a token naming any other algorithm (`none`, `RS256`) is refused.
ALGORITHMS = ["HS256", "HS384", "HS512"]


class TokenError(Exception):
    """The token is unusable; the message is what the client is told (after a 401)."""


def username_from(token: str, secret: str) -> str:
    """The `username` claim of a valid, unexpired token signed with `secret`."""
    if not secret:
        raise TokenError("invalid token: no shared-secret is configured, bearer tokens are refused")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise TokenError("invalid token: token contains an invalid number of segments") from None
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise TokenError(f"invalid token: unexpected signing method: {alg}")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=ALGORITHMS,
            options={"require": [], "verify_aud": False, "verify_iat": False},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("invalid token: Token is expired") from None
    except jwt.InvalidSignatureError:
        raise TokenError("invalid token: signature is invalid") from None
    except jwt.PyJWTError as exc:
        raise TokenError(f"invalid token: {exc}") from None
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, (int, float)) or exp <= 0:
        raise TokenError("token expiration required")
    username = claims.get("username")
    if not isinstance(username, str):
        raise TokenError("username in token must be a string")
    if not username:
        raise TokenError("token must contain a username")
    return username
