"""The TLS context of a client from Kapacitor's options: `ssl-ca`, `ssl-cert`, `ssl-key`, `insecure-skip-verify`."""

from __future__ import annotations

import ssl


def client_context(
    ca: str = "", cert: str = "", key: str = "", insecure_skip_verify: bool = False
) -> ssl.SSLContext:
    """A client context trusting `ca` (else the system's), presenting `cert`/`key` when given;
    raises `OSError` or `ssl.SSLError` for a file that cannot be read or used."""
    ctx = ssl.create_default_context(cafile=ca or None)
    if cert:
        ctx.load_cert_chain(cert, key or None)
    if insecure_skip_verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx
