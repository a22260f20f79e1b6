"""A real Prometheus exporter for the scraper tests: `prometheus_client` serving its own registry.

Run as `python -m tests.scraper.exporter PORT`; `exporter_process(port)` starts it and waits until it
answers. Its metrics: a labelled counter, a gauge, a histogram, a summary, and a gauge with its own
`job` and `instance` labels (which the scraper must keep as `exported_job`/`exported_instance`).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from kapacitrio.testing.ports import wait_serving

ROOT = Path(__file__).resolve().parents[2]


def serve(port: int) -> None:
    from prometheus_client import (
        CollectorRegistry,
        Counter,
        Gauge,
        Histogram,
        Summary,
        start_http_server,
    )

    reg = CollectorRegistry()
    c = Counter("app_requests", "Requests served.", ["method"], registry=reg)
    c.labels("get").inc(3)
    c.labels("post").inc(1)
    Gauge("app_temperature_celsius", "Temperature.", registry=reg).set(21.5)
    h = Histogram("app_latency_seconds", "Latency.", buckets=(0.1, 1.0), registry=reg)
    for v in (0.05, 0.5, 2.0):
        h.observe(v)
    s = Summary("app_payload_bytes", "Payload sizes.", registry=reg)
    s.observe(100)
    s.observe(300)
    g = Gauge("app_relabelled", "Has job/instance labels.", ["job", "instance"], registry=reg)
    g.labels("inner", "inner:1").set(7)
    start_http_server(port, addr="127.0.0.1", registry=reg)
    while True:
        time.sleep(3600)


def exporter_process(port: int) -> subprocess.Popen[bytes]:
    """Start the exporter on 127.0.0.1:`port` and wait until `/metrics` answers."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.scraper.exporter", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_serving(proc, f"http://127.0.0.1:{port}/metrics", 200, "the exporter")
    return proc


if __name__ == "__main__":
    serve(int(sys.argv[1]))
