"""A stand-in InfluxDB 2 for the queryFlux end-to-end test: `/ping` and `/api/v2/query`.

Run as `python -m tests.flux.fake_influx2 PORT LOG`: it answers every Flux query with the
annotated CSV of `tests.flux.samples` (the error table when the query names bucket "nope") and
appends each query request to LOG as a JSON line (path, authorization, body).
"""

from __future__ import annotations

import json
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

from kapacitrio.testing.ports import wait_serving
from tests.flux.samples import ERROR_TABLE, TWO_BLOCKS

ROOT = Path(__file__).resolve().parents[2]


def serve(port: int, log: str) -> None:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def do_GET(self):
            self.send_response(204 if self.path.startswith("/ping") else 404)
            self.send_header("X-Influxdb-Version", "v2.7.1")
            self.end_headers()

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if not self.path.startswith("/api/v2/query"):
                self.send_response(404)
                self.end_headers()
                return
            doc = json.loads(body)
            with open(log, "a") as fh:
                entry = {"path": self.path, "auth": self.headers.get("Authorization"), "body": doc}
                fh.write(json.dumps(entry) + "\n")
            reply = (ERROR_TABLE if '"nope"' in doc["query"] else TWO_BLOCKS).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/csv; charset=utf-8")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    HTTPServer(("127.0.0.1", port), Handler).serve_forever()


def fake_influx2_process(port: int, log: Path) -> subprocess.Popen[bytes]:
    """Start it on 127.0.0.1:`port` and wait until `/ping` answers."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.flux.fake_influx2", str(port), str(log)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_serving(proc, f"http://127.0.0.1:{port}/ping", 204, "the fake InfluxDB 2")
    return proc


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2])
