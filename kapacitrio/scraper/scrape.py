"""One scrape: fetch a target's text exposition, parse it with `prometheus_client`, build points.

Every scrape also reports on itself as Prometheus does, with the target's labels: `up` (1 when the
scrape worked, else 0), `scrape_duration_seconds`, `scrape_samples_scraped` and
`scrape_samples_post_metric_relabeling`. Samples without a timestamp get the scrape's start time.
"""

from __future__ import annotations

from typing import Any

import httpx
import trio
from prometheus_client.parser import text_string_to_metric_families

from kapacitrio.engine.clock import NS, Clock
from kapacitrio.models.point import Point
from kapacitrio.scraper.targets import Target, sample_point

ACCEPT = "text/plain;version=0.0.4;q=1,*/*;q=0.1"


class ScrapeError(Exception):
    """The target could not be fetched or did not answer with a valid exposition."""


def parse_exposition(text: str) -> list[tuple[str, dict[str, str], float, int | None]]:
    """(name, labels, value, timestamp ns or None) of every sample; raises `ScrapeError`."""
    out = []
    try:
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                ts = (
                    None
                    if s.timestamp is None
                    else int(round(float(s.timestamp) * 1000)) * 1_000_000
                )
                out.append((s.name, dict(s.labels), float(s.value), ts))
    except (ValueError, TypeError, IndexError) as exc:
        raise ScrapeError(f"invalid exposition: {exc}") from None
    return out


async def fetch(
    client: httpx.AsyncClient, target: Target, timeout_ns: int, clock: Clock, **request: Any
) -> str:
    """The body of a GET of the target's URL, within `timeout_ns` of the clock."""
    result: list[str] = []
    failure: list[BaseException] = []

    async def get() -> None:
        try:
            headers = {
                "Accept": ACCEPT,
                "X-Prometheus-Scrape-Timeout-Seconds": f"{timeout_ns / NS:g}",
                **request.get("headers", {}),
            }
            extra = {k: v for k, v in request.items() if k != "headers"}
            resp = await client.get(target.url, headers=headers, **extra)
            if resp.status_code != 200:
                raise ScrapeError(f"server returned HTTP status {resp.status_code}")
            result.append(resp.text)
        except httpx.HTTPError as exc:
            failure.append(ScrapeError(str(exc) or type(exc).__name__))
        except ScrapeError as exc:
            failure.append(exc)
        nursery.cancel_scope.cancel()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(get)
        await clock.sleep_until(clock.now() + timeout_ns)
        nursery.cancel_scope.cancel()
    if failure:
        raise failure[0]
    if not result:
        raise ScrapeError(f"scrape timed out after {timeout_ns / NS:g}s")
    return result[0]


def scrape_points(
    target: Target,
    samples: list[tuple[str, dict[str, str], float, int | None]] | None,
    start_ns: int,
    duration_ns: int,
    db: str,
    rp: str,
    blacklist: frozenset[str] = frozenset(),
) -> list[Point]:
    """The points of one scrape (samples, or None when it failed, plus the report samples)."""
    if target.instance in blacklist:
        return []
    points = []
    for name, labels, value, ts in samples or []:
        p = sample_point(target, name, labels, value, start_ns if ts is None else ts, db, rp)
        if p is not None:
            points.append(p)
    n = len(samples or [])
    report = [
        ("up", 1.0 if samples is not None else 0.0),
        ("scrape_duration_seconds", duration_ns / NS),
        ("scrape_samples_scraped", float(n)),
        ("scrape_samples_post_metric_relabeling", float(n)),
    ]
    for name, value in report:
        p = sample_point(target, name, {}, value, start_ns, db, rp)
        if p is not None:
            points.append(p)
    return points
