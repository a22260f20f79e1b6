"""`[[scraper]]`, `[[static-discovery]]` and `[[file-discovery]]`, with Kapacitor's keys and checks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar

from kapacitrio.config import duration_ns, section

#: Discoverer services this server runs; the other names Kapacitor knows are refused when used.
SUPPORTED_DISCOVERERS = ("static-discovery", "file-discovery")
#: Discoverer services of Kapacitor that kapacitrio does not have.
OTHER_DISCOVERERS = (
    "azure",
    "consul",
    "dns",
    "ec2",
    "gce",
    "kubernetes",
    "marathon",
    "nerve",
    "serverset",
    "triton",
)

#: A file_sd path: a `*` only in the last element, and a JSON or YAML extension.
_FILE_PATTERN = re.compile(r"^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$")


@section("scraper", many=True)
@dataclass
class ScraperConfig:
    """`[[scraper]]`: one scrape job; its targets come from the discoverer it names."""

    SECRETS: ClassVar[tuple[str, ...]] = ("password", "bearer_token")
    ELEMENT_KEY: ClassVar[str] = "name"

    enabled: bool = False
    name: str = "name"
    type: str = "prometheus"
    db: str = ""
    rp: str = ""
    scheme: str = "http"
    metrics_path: str = "/metrics"
    #: Query parameters of every scrape (`params = { module = ["http_2xx"] }`).
    params: dict[str, list[str]] = field(default_factory=dict)
    scrape_interval: str = "1m0s"
    scrape_timeout: str = "10s"
    username: str = ""
    password: str = ""
    bearer_token: str = ""
    ssl_ca: str = ""
    ssl_cert: str = ""
    ssl_key: str = ""
    ssl_server_name: str = ""
    insecure_skip_verify: bool = False
    proxy_url: str = ""
    discoverer_id: str = ""
    discoverer_service: str = ""
    #: Instances (`host:port`) whose samples are dropped.
    blacklist: list[str] = field(default_factory=list)

    def validate(self) -> None:
        if not self.name:
            raise ValueError("scraper config must be given a name")
        if not self.db:
            raise ValueError("scraper config must be given a db")
        if not self.rp:
            raise ValueError("scraper config must be given an rp")
        if self.type != "prometheus":
            raise ValueError(f"unknown scraper type {self.type!r}")
        if self.scheme not in ("http", "https"):
            raise ValueError(f"scheme must be http or https, got {self.scheme!r}")
        if duration_ns(self.scrape_interval) <= 0:
            raise ValueError("scrape-interval must be positive")
        if duration_ns(self.scrape_timeout) <= 0:
            raise ValueError("scrape-timeout must be positive")
        for key, values in self.params.items():
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise ValueError(f"params.{key} must be a list of strings")
        service = self.discoverer_service
        if self.enabled and service and service not in SUPPORTED_DISCOVERERS:
            if service in OTHER_DISCOVERERS:
                raise ValueError(
                    f"discoverer-service {service!r} is not supported by kapacitrio "
                    f"(supported: {', '.join(SUPPORTED_DISCOVERERS)})"
                )
            raise ValueError(f"unknown discoverer-service {service!r}")


@section("static-discovery", many=True)
@dataclass
class StaticDiscoveryConfig:
    """`[[static-discovery]]`: a fixed list of `host:port` targets sharing a set of labels."""

    ELEMENT_KEY: ClassVar[str] = "id"

    enabled: bool = False
    id: str = ""
    targets: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)

    def validate(self) -> None:
        if not self.id:
            raise ValueError("static discovery must be given a ID")
        for key, value in self.labels.items():
            if not isinstance(value, str):
                raise ValueError(f"label {key!r} must be a string")


@section("file-discovery", many=True)
@dataclass
class FileDiscoveryConfig:
    """`[[file-discovery]]`: Prometheus file_sd JSON or YAML files, re-read when they change."""

    ELEMENT_KEY: ClassVar[str] = "id"

    enabled: bool = False
    id: str = ""
    files: list[str] = field(default_factory=list)
    refresh_interval: str = "5m0s"

    def validate(self) -> None:
        if not self.id:
            raise ValueError("file discovery must be given a ID")
        for name in self.files:
            if not _FILE_PATTERN.match(name):
                raise ValueError(f"path name {name!r} is not valid for file discovery")
        if duration_ns(self.refresh_interval) <= 0:
            raise ValueError("refresh-interval must be positive")
