"""`[cluster]`: whether this instance joins a cluster on NATS JetStream, and how."""

from __future__ import annotations

import os
import socket
import typing
from dataclasses import dataclass, field

from kapacitrio.config import duration_ns, section


@section("cluster")
@dataclass
class ClusterConfig:
    """`[cluster]`: NATS servers, this instance's name, credentials and the timing of leases."""

    SECRETS: typing.ClassVar[tuple[str, ...]] = ("password", "token")

    enabled: bool = False
    nats_urls: list[str] = field(default_factory=lambda: ["nats://127.0.0.1:4222"])
    #: This instance's name in the cluster; empty means the host name.
    name: str = ""
    username: str = ""
    password: str = ""
    token: str = ""
    #: An NKey seed file (the user's private key) to sign the server's challenge with.
    nkeys_seed: str = ""
    #: A credentials file (user JWT and NKey seed, as `nsc` writes it).
    credentials_file: str = ""
    #: TLS to NATS: the CA to trust (else the system's), and a client certificate and key.
    ssl_ca: str = ""
    ssl_cert: str = ""
    ssl_key: str = ""
    #: Do not verify the NATS servers' certificates (testing only).
    insecure_skip_verify: bool = False
    #: Replicas of every JetStream stream and KV bucket (1, 3 or 5 in a NATS cluster).
    replicas: int = 1
    #: The URL other instances reach this one's HTTP API at; empty: http://<hostname>:<port>.
    advertise_url: str = ""
    #: How often this instance renews its membership record.
    heartbeat: str = "1s"
    #: A member whose record is older than this is dead: its tasks move.
    lease: str = "5s"
    #: How often a running task's stream position (and so what a move replays) is checkpointed.
    checkpoint_interval: str = "1s"
    #: How long written points are kept in JetStream (what a moved task can still replay).
    retention: str = "1h"
    #: Prefix of every stream, bucket and subject name (several clusters on one NATS).
    prefix: str = "kapacitrio"

    def validate(self) -> None:
        if self.enabled and not self.nats_urls:
            raise ValueError("nats-urls must name at least one NATS server")
        if self.replicas < 1 or self.replicas > 5:
            raise ValueError("replicas must be between 1 and 5")
        beat, lease = duration_ns(self.heartbeat), duration_ns(self.lease)
        if beat <= 0:
            raise ValueError("heartbeat must be positive")
        if lease < 2 * beat:
            raise ValueError("lease must be at least twice the heartbeat")
        if duration_ns(self.checkpoint_interval) <= 0:
            raise ValueError("checkpoint-interval must be positive")
        if duration_ns(self.retention) <= 0:
            raise ValueError("retention must be positive")
        if not self.prefix.replace("-", "").replace("_", "").isalnum():
            raise ValueError("prefix may hold only letters, digits, - and _")
        if self.ssl_key and not self.ssl_cert:
            raise ValueError("ssl-key needs ssl-cert")
        if self.nkeys_seed and self.credentials_file:
            raise ValueError("give nkeys-seed or credentials-file, not both")
        if self.enabled:
            self._check_files()

    def _check_files(self) -> None:
        for option in ("ssl_ca", "ssl_cert", "ssl_key", "nkeys_seed", "credentials_file"):
            path = getattr(self, option)
            if path and not os.access(path, os.R_OK):
                raise ValueError(f"{option.replace('_', '-')}: cannot read {path!r}")

    @property
    def tls(self) -> bool:
        """Whether any TLS option is set (else TLS only when a URL says `tls://`)."""
        return bool(self.ssl_ca or self.ssl_cert or self.insecure_skip_verify)

    def instance_name(self, hostname: str = "") -> str:
        """This instance's name: `name`, else the configured hostname, else the machine's."""
        if self.name:
            return self.name
        if hostname and hostname != "localhost":
            return hostname
        return socket.gethostname()

    def seconds(self, name: str) -> float:
        """One of the duration options in seconds."""
        return duration_ns(getattr(self, name)) / 1e9
