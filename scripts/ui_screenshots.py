"""Regenerate docs/screenshots/*.png: the web UI's main pages on a demo server, in headless chromium.

Usage: .venv/bin/python scripts/ui_screenshots.py [OUTDIR]   (needs /usr/bin/chromium and playwright)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from uibrowser import browser  # noqa: E402

from kapacitrio.models.timefmt import format_rfc3339  # noqa: E402

S = 1_000_000_000

CPU = """dbrp "telegraf"."autogen"

var data = stream
    |from()
        .measurement('cpu')
        .groupBy('host')

data
    |window()
        .period(10s)
        .every(10s)
    |mean('usage')
        .as('usage')
    |httpOut('mean')

data
    |alert()
        .warn(lambda: "usage" > 70)
        .crit(lambda: "usage" > 90)
        .message('{{ .ID }} is {{ .Level }}: usage {{ index .Fields "usage" }}')
        .topic('cpu')
"""

MEM = """dbrp "telegraf"."autogen"

stream
    |from()
        .measurement('mem')
    |alert()
        .crit(lambda: "used_percent" > 95)
        .topic('mem')
"""


def _start(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAPACITOR_", "KAPACITRIO_"))}
    env.update(
        KAPACITOR_HTTP_BIND_ADDRESS=f"127.0.0.1:{port}",
        KAPACITOR_DATA_DIR=str(workdir / "data"),
        KAPACITOR_HTTP_LOG_ENABLED="false",
    )
    log = open(workdir / "server.log", "wb")  # noqa: SIM115 - the child holds it
    proc = subprocess.Popen(
        [sys.executable, "-m", "kapacitrio", "serve"],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/kapacitor/v1/ping").status_code == 204:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit(f"the server did not start:\n{(workdir / 'server.log').read_text()}")


def _wait(c: httpx.Client, path: str) -> None:
    deadline = time.monotonic() + 30
    while c.get(path).json()["status"] == "running" and time.monotonic() < deadline:
        time.sleep(0.1)


def _demo(c: httpx.Client) -> None:
    """Tasks, points, alerts, a handler, kkok filters and routes, a recording and a replay."""
    for task_id, script, status in (
        ("cpu_alert", CPU, "enabled"),
        ("mem_alert", MEM, "enabled"),
        (
            "cpu_demo",
            CPU.replace('"telegraf"', '"demo"').replace(".topic('cpu')", ".topic('cpu_replay')"),
            "disabled",
        ),
    ):
        body = {"id": task_id, "type": "stream", "script": script, "status": status}
        c.post("/kapacitor/v1/tasks", json=body).raise_for_status()
    c.post(
        "/kapacitor/v1/alerts/topics/cpu/handlers",
        json={"id": "ops-log", "kind": "log", "options": {"path": "/tmp/cpu-alerts.log"}},
    ).raise_for_status()
    now = time.time_ns()
    stop = now + 3600 * S
    c.post(
        "/kapacitor/v1/recordings/stream",
        json={"id": "cpu-morning", "task": "cpu_demo", "stop": format_rfc3339(stop)},
    ).raise_for_status()
    for i, (a, b, mem) in enumerate([(40, 55, 60), (75, 60, 70), (93, 65, 97), (95, 20, 97)]):
        t = now - (4 - i) * 5_000_000_000
        lines = (
            f"cpu,host=web1 usage={a} {t}\ncpu,host=web2 usage={b} {t}\nmem used_percent={mem} {t}"
        )
        c.post("/write", params={"db": "telegraf", "rp": "autogen"}, content=lines)
        c.post("/write", params={"db": "demo", "rp": "autogen"}, content=lines)
    c.post(
        "/write",
        params={"db": "demo", "rp": "autogen"},
        content=f"cpu,host=web1 usage=1 {stop + S}",
    )
    _wait(c, "/kapacitor/v1/recordings/cpu-morning")
    body = {"id": "cpu-morning-replay", "task": "cpu_demo", "recording": "cpu-morning"}
    c.post("/kapacitor/v1/replays", json=body).raise_for_status()
    _wait(c, "/kapacitor/v1/replays/cpu-morning-replay")
    c.put("/filters/maintenance", json={"type": "discard", "if": "alert.Host === 'web9'"})
    c.put("/filters/night", json={"type": "discard", "all": True, "if": "alert.Title === 'x'"})
    c.put("/filters/night/disable", content=b"")
    c.put(
        "/routes/ops",
        json=[{"type": "email", "from": "kkok@example.com", "to": ["ops@example.com"]}],
    )
    c.post(
        "/alerts",
        json={
            "From": "cron",
            "Host": "db1",
            "Title": "backup late",
            "Message": "no backup since 02:00",
        },
    )


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        proc, url = _start(work)
        try:
            with httpx.Client(base_url=url, timeout=30) as c:
                _demo(c)
            with browser(work / "profile", width=1280, height=860) as ctx:
                page = ctx.new_page()
                shots = [
                    ("tasks", "#/tasks", "main table"),
                    (
                        "task",
                        "#/tasks/cpu_alert",
                        'svg.dag [data-counter="emitted"]:text-matches("[1-9]")',
                    ),
                    ("alerts", "#/alerts", "ol.events li"),
                    ("topic", "#/alerts/cpu", "section table"),
                    ("kkok", "#/kkok", "[data-filter-state]"),
                    ("replays", "#/replays", "main"),
                    ("services", "#/services", "main form"),
                ]
                for name, route, ready in shots:
                    page.goto(f"{url}/{route}")
                    page.locator(ready).first.wait_for()
                    if name == "alerts":  # changes that arrive live (and fill the history)
                        for usage in (80, 96):
                            line = f"cpu,host=web2 usage={usage} {time.time_ns()}"
                            httpx.post(f"{url}/write?db=telegraf&rp=autogen", content=line)
                            page.locator("ol.events li", has_text=f"usage {usage}").wait_for()
                    if name == "services":
                        page.get_by_label("Service").select_option("smtp")
                        page.get_by_role("button", name="Run test").click()
                        page.locator("#service-result[data-service]").wait_for()
                    if name == "topic":
                        page.get_by_role("button", name="Show event cpu:host=web2").click()
                        page.locator("#event-details h3").wait_for()
                    time.sleep(0.5)
                    page.screenshot(path=str(out / f"{name}.png"), full_page=True)
                    print(out / f"{name}.png")
            with browser(work / "phone", width=390, height=844, mobile=True) as ctx:
                page = ctx.new_page()
                for name, route, ready in (
                    ("phone-tasks", "#/tasks", "main table"),
                    ("phone-alerts", "#/alerts", "ol.events li"),
                ):
                    page.goto(f"{url}/{route}")
                    page.locator(ready).first.wait_for()
                    time.sleep(0.5)
                    page.screenshot(path=str(out / f"{name}.png"))
                    print(out / f"{name}.png")
        finally:
            proc.terminate()
            proc.wait(15)


if __name__ == "__main__":
    main()
