"""The scraper service: scrapers paired with their discoverers, restarted when their config changes."""

from __future__ import annotations

from types import SimpleNamespace

import trio

from kapacitrio.config import Config
from kapacitrio.scraper.config import ScraperConfig, StaticDiscoveryConfig
from kapacitrio.scraper.service import ScraperService


class Engine:
    def __init__(self) -> None:
        self.points: list = []

    async def write_points(self, db, rp, points):
        self.points.extend(points)


def _config(exporter: str, region: str) -> Config:
    cfg = Config()
    cfg.values["scraper"] = [
        ScraperConfig(
            enabled=True,
            name="n",
            db="prom",
            rp="autogen",
            scrape_interval="1h",
            discoverer_id="s",
            discoverer_service="static-discovery",
        ),
        ScraperConfig(enabled=True, name="orphan", db="d", rp="r", discoverer_id="missing"),
    ]
    cfg.values["static-discovery"] = [
        StaticDiscoveryConfig(True, "s", [exporter], {"region": region})
    ]
    cfg.values["file-discovery"] = []
    return cfg


async def _wait_for(engine: Engine, region: str) -> None:
    with trio.fail_after(10):
        while not any(p.tags.get("region") == region and p.name == "up" for p in engine.points):
            await trio.sleep(0.02)


async def test_a_config_change_restarts_the_scrapers(exporter):
    engine = Engine()
    config = _config(exporter, "one")
    svc = ScraperService(SimpleNamespace(config=config, taskmaster=engine))
    async with trio.open_nursery() as nursery:
        await nursery.start(svc.run)
        await _wait_for(engine, "one")
        assert [job.cfg.name for job in svc.jobs] == ["n"]  # the orphan has no discoverer
        stats = svc.stats()["scraper:scraper=n"]
        assert stats["values"]["targets"] == 1
        assert stats["tags"] == {"scraper": "n", "db": "prom", "rp": "autogen", "host": "localhost"}
        config.set(
            "static-discovery", [StaticDiscoveryConfig(True, "s", [exporter], {"region": "two"})]
        )
        await _wait_for(engine, "two")
        config.set("scraper", [])
        with trio.fail_after(10):
            while svc.jobs:
                await trio.sleep(0.02)
        nursery.cancel_scope.cancel()
