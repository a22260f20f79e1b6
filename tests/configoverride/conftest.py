"""Fixtures: an in-process app with only the `/config` API, over a real config and SQLite store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kapacitrio import logs
from kapacitrio.alerting import handlers
from kapacitrio.api import app as app_module
from kapacitrio.api.app import create_app
from kapacitrio.config import Config, load
from kapacitrio.configoverride.service import ConfigOverrideService
from kapacitrio.services import Services
from kapacitrio.storage.db import open_store

handlers.load_all()  # registers the handler sections (smtp, slack, ...)

CONFIG = """
[smtp]
enabled = true
host = "smtp.example.com"
port = 587
username = "bob"
password = "hunter2"
from = "kapacitor@example.com"

[[influxdb]]
name = "localhost"
default = true
urls = ["http://localhost:8086"]

[[influxdb]]
name = "remote"
urls = ["http://influxdb.example.com:8086"]
username = "jim"
password = "secret"
"""


@dataclass
class Harness:
    """A started override service, its config and an in-process HTTP client."""

    config: Config
    service: ConfigOverrideService
    client: Any
    restart: Callable[..., Any]
    config_text: str = CONFIG


@pytest.fixture
async def harness(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Harness]:
    monkeypatch.setattr(app_module, "BLUEPRINTS", ["config"])
    path = tmp_path / "k.toml"
    path.write_text(CONFIG)
    async with open_store(tmp_path / "k.db") as store:

        async def start(env: dict[str, str] | None = None, text: str | None = None) -> Harness:
            if text is not None:
                path.write_text(text)
            cfg = load(path, env=env or {})
            svc = ConfigOverrideService(cfg, store)
            await svc.open()
            services = Services(config=cfg, store=store, logs=logs.HUB)
            services.extra["config_override"] = svc
            h.config, h.service, h.client = cfg, svc, create_app(services).test_client()
            return h

        h = Harness(None, None, None, start)  # type: ignore[arg-type]
        await start()
        yield h
