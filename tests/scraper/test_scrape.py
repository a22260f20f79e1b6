"""Scrapes: a real prometheus_client exporter, the interval and the timeout on a mock clock."""

from __future__ import annotations

import httpx
import pytest
import trio

from kapacitrio.engine.clock import NS, TrioClock, WallClock
from kapacitrio.scraper.config import ScraperConfig
from kapacitrio.scraper.scrape import ScrapeError, parse_exposition
from kapacitrio.scraper.service import ScrapeJob, http_client


class Writes:
    def __init__(self) -> None:
        self.batches: list[tuple[str, str, list]] = []

    async def __call__(self, db, rp, points):
        self.batches.append((db, rp, points))


def _cfg(**kw) -> ScraperConfig:
    cfg = ScraperConfig(enabled=True, name="node", db="prom", rp="autogen", **kw)
    cfg.validate()
    return cfg


async def test_a_real_exporter_is_written_as_kapacitor_points(exporter):
    cfg = _cfg(scrape_timeout="5s")
    writes = Writes()
    async with http_client(cfg) as client:
        job = ScrapeJob(cfg, client, WallClock(), writes)
        (target,) = job.targets([{"__address__": exporter, "dc": "lab"}])
        await job.scrape_once(target)
    ((db, rp, points),) = writes.batches
    assert (db, rp) == ("prom", "autogen")
    by = {(p.name, tuple(sorted(p.tags.items()))): p for p in points}
    base = {"instance": exporter, "dc": "lab"}

    def tags(name, **extra):
        return tuple(sorted({**base, "__name__": name, **extra}.items()))

    assert by[("app_requests_total", tags("app_requests_total", method="get"))].fields == {
        "value": 3.0
    }
    assert by[("app_temperature_celsius", tags("app_temperature_celsius"))].fields == {
        "value": 21.5
    }
    # Histograms and summaries are their flat samples, one measurement each.
    assert by[
        ("app_latency_seconds_bucket", tags("app_latency_seconds_bucket", le="1.0"))
    ].fields == {"value": 2.0}
    assert by[
        ("app_latency_seconds_bucket", tags("app_latency_seconds_bucket", le="+Inf"))
    ].fields == {"value": 3.0}
    assert by[("app_latency_seconds_sum", tags("app_latency_seconds_sum"))].fields == {
        "value": 2.55
    }
    assert by[("app_payload_bytes_count", tags("app_payload_bytes_count"))].fields == {"value": 2.0}
    relabelled = by[
        (
            "app_relabelled",
            tags("app_relabelled", exported_job="inner", exported_instance="inner:1"),
        )
    ]
    assert relabelled.fields == {"value": 7.0}
    assert by[("up", tags("up"))].fields == {"value": 1.0}
    scraped = by[("scrape_samples_scraped", tags("scrape_samples_scraped"))].fields["value"]
    assert scraped == len(points) - 4
    assert len({p.time for p in points}) == 1  # no sample timestamps: all at the scrape's start
    assert job.stats["scrapes"] == 1 and job.stats["scrape_errors"] == 0


async def test_blacklisted_instances_are_not_written(exporter):
    cfg = _cfg(blacklist=[exporter])
    writes = Writes()
    async with http_client(cfg) as client:
        job = ScrapeJob(cfg, client, WallClock(), writes)
        (target,) = job.targets([{"__address__": exporter}])
        await job.scrape_once(target)
    assert writes.batches == []


def test_exposition_timestamps_are_milliseconds():
    samples = parse_exposition('m{a="b"} 2 1700000000123\nn 3\n')
    assert samples == [("m", {"a": "b"}, 2.0, 1_700_000_000_123_000_000), ("n", {}, 3.0, None)]
    with pytest.raises(ScrapeError, match="invalid exposition"):
        parse_exposition("m abc\n")


async def test_scrapes_follow_the_interval_and_time_out_on_the_clock(autojump_clock):
    calls: list[float] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        calls.append(trio.current_time())
        if len(calls) == 2:
            await trio.sleep(60)  # longer than scrape-timeout: this scrape fails
        if len(calls) == 3:
            return httpx.Response(500)
        return httpx.Response(200, text="g 1\n")

    cfg = _cfg(scrape_interval="15s", scrape_timeout="10s")
    clock = TrioClock(1_000 * NS)
    writes = Writes()
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        job = ScrapeJob(cfg, client, clock, writes)
        async with trio.open_nursery() as nursery:

            async def discover(update):
                await update([{"__address__": "h:1"}])

            await nursery.start(job.run, discover)
            await trio.sleep(50)
            nursery.cancel_scope.cancel()
    t0 = calls[0]
    assert [round(c - t0) for c in calls] == [0, 15, 30, 45]
    ups = [next(p.fields["value"] for p in pts if p.name == "up") for _, _, pts in writes.batches]
    assert ups == [1.0, 0.0, 0.0, 1.0]
    durations = [
        next(p.fields["value"] for p in pts if p.name == "scrape_duration_seconds")
        for _, _, pts in writes.batches
    ]
    assert durations[1] == 10.0
    times = [pts[0].time for _, _, pts in writes.batches]
    assert [(t - times[0]) // NS for t in times] == [0, 15, 30, 45]
    assert job.stats == {
        "targets": 1,
        "scrapes": 4,
        "scrape_errors": 2,
        "samples": 2,
        "points_tx": 18,
    }


async def test_target_changes_stop_and_start_loops(autojump_clock):
    seen: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.host)
        return httpx.Response(200, text="g 1\n")

    cfg = _cfg(scrape_interval="10s")
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        job = ScrapeJob(cfg, client, TrioClock(0), Writes())
        changed = trio.Event()

        async def discover(update):
            await update([{"__address__": "a:1"}, {"__address__": "b:1"}])
            await changed.wait()
            await update([{"__address__": "b:1"}, {"__address__": "c:1"}])

        async with trio.open_nursery() as nursery:
            await nursery.start(job.run, discover)
            await trio.sleep(15)
            changed.set()
            await trio.sleep(12)
            nursery.cancel_scope.cancel()
    # a and b at 0 and 10; then a stops, c starts at once, b goes on at 20.
    assert sorted(seen[:4]) == ["a", "a", "b", "b"]
    assert sorted(seen[4:]) == ["b", "c", "c"]
