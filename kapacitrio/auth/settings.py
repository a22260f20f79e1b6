"""The `[auth]` section and the checks that make `[http]` security settings fail closed."""

from __future__ import annotations

import ssl
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kapacitrio.config import Config, ConfigError, add_check, duration_ns, section

#: bcrypt's own bounds on the cost factor.
MIN_BCRYPT_COST, MAX_BCRYPT_COST = 4, 31
DEFAULT_BCRYPT_COST = 10


@section("auth")
@dataclass
class AuthConfig:
    """`[auth]`: the user store behind `[http] auth-enabled` and the first admin."""

    STRICT: typing.ClassVar[bool] = True
    SECRETS: typing.ClassVar[tuple[str, ...]] = ("admin_password", "meta_password")

    enabled: bool = True
    #: How long a user (and a password check) stays cached in memory.
    cache_expiration: str = "10m"
    bcrypt_cost: int = DEFAULT_BCRYPT_COST
    #: Created as an admin at start when auth is on and no user of that name exists.
    admin_username: str = ""
    admin_password: str = ""
    # Kapacitor Enterprise's meta-service keys: accepted so configs load, refused when set.
    meta_addr: str = ""
    meta_username: str = ""
    meta_password: str = ""
    meta_internal_shared_secret: str = ""
    meta_use_tls: bool = False
    meta_ca: str = ""
    meta_cert: str = ""
    meta_key: str = ""
    meta_insecure_skip_verify: bool = False

    def validate(self) -> None:
        if duration_ns(self.cache_expiration) < 0:
            raise ValueError("cache-expiration must not be negative")
        if not MIN_BCRYPT_COST <= self.bcrypt_cost <= MAX_BCRYPT_COST:
            raise ValueError(
                f"must provide a bcrypt cost >= {MIN_BCRYPT_COST}, got {self.bcrypt_cost}"
                if self.bcrypt_cost < MIN_BCRYPT_COST
                else f"bcrypt cost must be <= {MAX_BCRYPT_COST}, got {self.bcrypt_cost}"
            )
        if bool(self.admin_username) != bool(self.admin_password):
            raise ValueError("admin-username and admin-password must be set together")
        if self.meta_addr or self.meta_use_tls or self.meta_internal_shared_secret:
            raise ValueError(
                "meta-addr and the other meta-* keys (Kapacitor Enterprise's user service) "
                "are not supported: users live in kapacitrio's own store"
            )


def auth_config(cfg: Config) -> AuthConfig:
    return cfg.get("auth")


def _check_http(http: Any) -> None:
    """`[http]` checks that need no other section (run by `HTTPConfig.validate`)."""
    for origin in http.allowed_origins:
        if origin == "*" or "://" not in origin or origin.rstrip("/") != origin:
            raise ValueError(
                f"allowed-origins entry {origin!r} must be a scheme and host such as "
                "https://ui.example.com (no '*', no trailing '/')"
            )
    if http.https_enabled and not http.https_certificate:
        raise ValueError("https-enabled is true but https-certificate is empty")


add_check("http", _check_http)


def check_security(cfg: Config) -> None:
    """Cross-section checks run before the server starts; raises `ConfigError` naming the setting."""
    http, auth = cfg.http, auth_config(cfg)
    if http.auth_enabled and not auth.enabled:
        raise ConfigError(
            "[http] auth-enabled = true needs [auth] enabled = true: nobody could log in"
        )
    kkok = cfg.values.get("kkok")
    if http.auth_enabled and kkok is not None and kkok.bind_address and not kkok.api_token:
        raise ConfigError(
            "[kkok] bind-address serves the kkok API on its own port, outside [http] "
            "auth-enabled: set [kkok] api-token too"
        )
    if http.https_enabled:
        load_tls(http.https_certificate, http.https_private_key)


def load_tls(certificate: str, private_key: str = "") -> ssl.SSLContext:
    """A server TLS context from the PEM files; `ConfigError` says which file is unusable and why."""
    for name, path in (("https-certificate", certificate), ("https-private-key", private_key)):
        if not path:
            continue
        try:
            Path(path).read_bytes()
        except OSError as exc:
            raise ConfigError(f"[http] {name} {path}: cannot read: {exc.strerror}") from None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(certificate, private_key or None)
    except (ssl.SSLError, ValueError) as exc:
        which = "https-certificate" + (" / https-private-key" if private_key else "")
        raise ConfigError(
            f"[http] {which}: not a usable PEM certificate and private key: {exc}"
        ) from None
    return context
