"""The scraper service: each enabled `[[scraper]]` scrapes the targets of its discoverer, on a clock.

Every target runs its own loop in the service's nursery: a scrape at once, then one every
`scrape-interval` (a scrape slower than the interval skips the ticks it overran), each bounded by
`scrape-timeout`. The points go to the engine like any write to the scraper's db/rp. When a file
discoverer's targets change, loops of removed targets stop and new ones start; when the `[[scraper]]`
or discovery sections are changed through the config API, the whole service restarts on the new
settings. `/debug/vars` shows a `scraper` statistic per scraper.
"""

from __future__ import annotations

import ssl
from typing import Any

import httpx
import trio

from kapacitrio import logs
from kapacitrio.config import duration_ns
from kapacitrio.engine.clock import Clock, WallClock
from kapacitrio.scraper.config import FileDiscoveryConfig, ScraperConfig, StaticDiscoveryConfig
from kapacitrio.scraper.discovery import FileDiscoverer, LabelSets, static_targets
from kapacitrio.scraper.scrape import ScrapeError, fetch, parse_exposition, scrape_points
from kapacitrio.scraper.targets import Target, build_target
from kapacitrio.tlsclient import client_context

_log = logs.get_logger("scraper")

SECTIONS = ("scraper", "static-discovery", "file-discovery")
STAT_NAMES = ("targets", "scrapes", "scrape_errors", "samples", "points_tx")


def http_client(cfg: ScraperConfig) -> httpx.AsyncClient:
    """The HTTP client of one scraper (TLS, auth, proxy); raises `OSError` for unreadable files."""
    ctx = client_context(cfg.ssl_ca, cfg.ssl_cert, cfg.ssl_key, cfg.insecure_skip_verify)
    headers = {"User-Agent": "kapacitrio-scraper"}
    if cfg.bearer_token:
        headers["Authorization"] = f"Bearer {cfg.bearer_token}"
    auth = httpx.BasicAuth(cfg.username, cfg.password) if cfg.username else None
    return httpx.AsyncClient(
        verify=ctx,
        auth=auth,
        headers=headers,
        proxy=cfg.proxy_url or None,
        timeout=None,  # the scrape timeout is kept on the service's clock
        follow_redirects=True,
    )


class ScrapeJob:
    """One `[[scraper]]` at run time: its targets, their loops and its counters."""

    def __init__(
        self, cfg: ScraperConfig, client: httpx.AsyncClient, clock: Clock, write: Any
    ) -> None:
        self.cfg = cfg
        self.client = client
        self.clock = clock
        self.write = write
        self.interval = duration_ns(cfg.scrape_interval)
        self.timeout = duration_ns(cfg.scrape_timeout)
        self.blacklist = frozenset(cfg.blacklist)
        #: `ssl-server-name`: the name sent (SNI) and verified instead of the target's host.
        self.request: dict[str, Any] = (
            {"extensions": {"sni_hostname": cfg.ssl_server_name}} if cfg.ssl_server_name else {}
        )
        self.loops: dict[Target, trio.CancelScope] = {}
        self.stats: dict[str, int] = dict.fromkeys(STAT_NAMES, 0)
        self.down: set[Target] = set()
        self._nursery: trio.Nursery | None = None

    def targets(self, label_sets: LabelSets) -> set[Target]:
        out = set()
        for labels in label_sets:
            target = build_target(
                self.cfg.name, labels, self.cfg.scheme, self.cfg.metrics_path, self.cfg.params
            )
            if target is not None:
                out.add(target)
        return out

    async def set_targets(self, label_sets: LabelSets) -> None:
        """Scrape exactly these targets from now on."""
        assert self._nursery is not None
        wanted = self.targets(label_sets)
        for gone in [t for t in self.loops if t not in wanted]:
            self.loops.pop(gone).cancel()
            self.down.discard(gone)
        for target in sorted(wanted - self.loops.keys(), key=lambda t: t.url):
            self.loops[target] = await self._nursery.start(self._loop, target)
        self.stats["targets"] = len(self.loops)
        _log.info("scrape targets", scraper=self.cfg.name, targets=len(self.loops))

    async def run(self, discover: Any, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        """Run `discover(self.set_targets)` and the target loops until cancelled."""
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            task_status.started()
            await discover(self.set_targets)
            await trio.sleep_forever()

    async def _loop(self, target: Target, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        with trio.CancelScope() as scope:
            task_status.started(scope)
            tick = self.clock.now()
            while True:
                await self.clock.sleep_until(tick)
                await self.scrape_once(target)
                tick += self.interval
                now = self.clock.now()
                if tick < now:
                    tick += -(-(now - tick) // self.interval) * self.interval

    async def scrape_once(self, target: Target) -> None:
        """Scrape one target and write its points."""
        start = self.clock.now()
        samples = None
        try:
            body = await fetch(self.client, target, self.timeout, self.clock, **self.request)
            samples = parse_exposition(body)
        except ScrapeError as exc:
            self.stats["scrape_errors"] += 1
            if target not in self.down:
                _log.error("scrape failed", scraper=self.cfg.name, url=target.url, err=str(exc))
            self.down.add(target)
        else:
            if target in self.down:
                _log.info("scrape target is up again", scraper=self.cfg.name, url=target.url)
            self.down.discard(target)
        self.stats["scrapes"] += 1
        self.stats["samples"] += len(samples or [])
        points = scrape_points(
            target,
            samples,
            start,
            self.clock.now() - start,
            self.cfg.db,
            self.cfg.rp,
            self.blacklist,
        )
        if points:
            await self.write(self.cfg.db, self.cfg.rp, points)
            self.stats["points_tx"] += len(points)


class ScraperService:
    """Every enabled scraper with its discoverer, restarted when their config changes."""

    def __init__(self, services: Any, clock: Clock | None = None) -> None:
        self.services = services
        self.clock = clock or WallClock()
        self.jobs: list[ScrapeJob] = []
        self._changed = trio.Event()

    async def _write(self, db: str, rp: str, points: list[Any]) -> None:
        tm = self.services.taskmaster
        if tm is not None:
            await tm.write_points(db, rp, points)

    def _discoverer(self, cfg: ScraperConfig) -> Any:
        """`discover(update)` for a scraper's discoverer, or None when it has none enabled."""
        config = self.services.config
        if cfg.discoverer_service == "static-discovery":
            statics: list[StaticDiscoveryConfig] = config.get("static-discovery")
            for sd in statics:
                if sd.enabled and sd.id == cfg.discoverer_id:

                    async def discover(update: Any, sd: StaticDiscoveryConfig = sd) -> None:
                        await update(static_targets(sd))

                    return discover
        elif cfg.discoverer_service == "file-discovery":
            files: list[FileDiscoveryConfig] = config.get("file-discovery")
            for fd in files:
                if fd.enabled and fd.id == cfg.discoverer_id:
                    return FileDiscoverer(fd, self.clock).run
        return None

    def prepare(self) -> list[tuple[ScraperConfig, Any, httpx.AsyncClient]]:
        """The enabled scrapers with their discoverer and client; raises `OSError` for bad TLS files."""
        out = []
        for cfg in self.services.config.get("scraper"):
            if not cfg.enabled:
                continue
            discover = self._discoverer(cfg)
            if discover is None:
                _log.warning(
                    "scraper has no enabled discoverer, nothing is scraped",
                    scraper=cfg.name,
                    discoverer_service=cfg.discoverer_service,
                    discoverer_id=cfg.discoverer_id,
                )
                continue
            try:
                client = http_client(cfg)
            except (OSError, ssl.SSLError) as exc:
                raise OSError(f"[[scraper]] {cfg.name}: cannot load TLS files: {exc}") from exc
            out.append((cfg, discover, client))
        return out

    async def run(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        """Scrape until cancelled, restarting on config changes."""
        unsubscribe = self.services.config.subscribe(self._on_config)
        prepared: list[tuple[ScraperConfig, Any, httpx.AsyncClient]] = []
        try:
            prepared = self.prepare()
            while True:
                self._changed = trio.Event()
                async with trio.open_nursery() as nursery:
                    self.jobs = []
                    for cfg, discover, client in prepared:
                        job = ScrapeJob(cfg, client, self.clock, self._write)
                        self.jobs.append(job)
                        await nursery.start(job.run, discover)
                    task_status.started()
                    task_status = trio.TASK_STATUS_IGNORED
                    await self._changed.wait()
                    nursery.cancel_scope.cancel()
                await _close(prepared)
                _log.info("scraper configuration changed, restarting scrapers")
                prepared = []
                try:
                    prepared = self.prepare()
                except OSError as exc:
                    _log.error("cannot restart scrapers", err=str(exc))
        finally:
            unsubscribe()
            with trio.CancelScope(shield=True):
                await _close(prepared)

    def _on_config(self, name: str, _value: Any) -> None:
        if name in SECTIONS:
            self._changed.set()

    def stats(self) -> dict[str, Any]:
        """`/debug/vars` entries, one per running scraper."""
        host = self.services.config.hostname
        return {
            f"scraper:scraper={job.cfg.name}": {
                "name": "scraper",
                "tags": {"scraper": job.cfg.name, "db": job.cfg.db, "rp": job.cfg.rp, "host": host},
                "values": dict(job.stats),
            }
            for job in self.jobs
        }


async def _close(prepared: list[tuple[ScraperConfig, Any, httpx.AsyncClient]]) -> None:
    for _, _, client in prepared:
        await client.aclose()


async def start(services: Any, nursery: trio.Nursery) -> None:
    """Server plugin: run the scrapers; the service is `services.extra["scraper"]`."""
    svc = ScraperService(services)
    services.extra["scraper"] = svc
    services.extra.setdefault("stat_sources", []).append(svc.stats)
    await nursery.start(svc.run)
