"""End-to-end: `[load]` defines tasks, templates and handlers from files, at start and on reload."""

from __future__ import annotations

import signal
import time
from pathlib import Path

TASK = """dbrp "telegraf"."autogen"

stream
    |from()
        .measurement('cpu')
    |window()
        .period(10s)
        .every(10s)
    |count('value')
    |httpOut('count')
"""

TEMPLATE = """var measurement string
var field = 'value'

stream
    |from()
        .measurement(measurement)
    |window()
        .period(10s)
        .every(10s)
    |max(field)
    |httpOut('max')
"""

VARS_YAML = """dbrps:
  - {db: telegraf, rp: autogen}
template-id: max_of
vars:
  measurement:
    type: string
    value: mem
"""

API = "stream|from().measurement('x')|httpOut('x')"

HANDLER = """topic: cpu
id: to-log
kind: log
options:
  path: {path}
"""


def _write_tree(root: Path, entries: dict[str, str]) -> None:
    for name, text in entries.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _wait(fn, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def _config(root: Path) -> str:
    return f'[load]\n  enabled = true\n  dir = "{root}"\n'


def test_load_dir_at_start_and_on_reload(server_factory, tmp_path: Path) -> None:
    root = tmp_path / "load"
    log_path = tmp_path / "alerts.log"
    _write_tree(
        root,
        {
            "tasks/cpu_count.tick": TASK,
            "templates/max_of.tick": TEMPLATE,
            "tasks/mem_max.yaml": VARS_YAML,
            "handlers/log.yaml": HANDLER.format(path=log_path),
        },
    )
    srv = server_factory(config=_config(root))
    c = srv.client

    task = c.get("/kapacitor/v1/tasks/cpu_count").json()
    assert task["status"] == "enabled" and task["executing"] is True
    assert task["dbrps"] == [{"db": "telegraf", "rp": "autogen"}]
    templated = c.get("/kapacitor/v1/tasks/mem_max").json()
    assert templated["template-id"] == "max_of" and templated["executing"] is True
    assert c.get("/kapacitor/v1/templates/max_of").status_code == 200
    handler = c.get("/kapacitor/v1/alerts/topics/cpu/handlers/to-log").json()
    assert handler["kind"] == "log" and handler["options"]["path"] == str(log_path)

    # The loaded task runs: points in, a count out.
    body = "cpu value=1 1\ncpu value=2 2\ncpu value=3 12\n"
    r = c.post("/write", params={"db": "telegraf", "rp": "autogen", "precision": "s"}, content=body)
    assert r.status_code == 204
    out = _wait(lambda: c.get("/kapacitor/v1/tasks/cpu_count/count").json().get("series"))
    assert out[0]["values"][0][1] == 2

    # Change the task, remove the template task file, add a broken file, then reload.
    (root / "tasks/cpu_count.tick").write_text(TASK.replace("count('value')", "sum('value')"))
    (root / "tasks/mem_max.yaml").unlink()
    _write_tree(root, {"tasks/broken.tick": "stream|from(", "handlers/bad.yaml": "id: x\n"})
    r = c.post("/kapacitor/v1/load")
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["tasks"] == ["cpu_count"]
    assert report["templates"] == ["max_of"]
    assert report["handlers"] == ["cpu/to-log"]
    assert report["removed"] == ["tasks/mem_max"]
    failed = {e["path"]: e["error"] for e in report["errors"]}
    assert set(failed) == {str(root / "tasks/broken.tick"), str(root / "handlers/bad.yaml")}
    assert failed[str(root / "tasks/broken.tick")].startswith(
        f"failed to load file {root / 'tasks/broken.tick'}: "
    )
    assert "must name a topic" in failed[str(root / "handlers/bad.yaml")]

    assert "sum('value')" in c.get("/kapacitor/v1/tasks/cpu_count").json()["script"]
    assert c.get("/kapacitor/v1/tasks/mem_max").status_code == 404
    assert c.get("/kapacitor/v1/tasks/broken").status_code == 404

    # Removing the template's file removes it at the next reload, here by SIGHUP.
    (root / "templates/max_of.tick").unlink()
    (root / "handlers/log.yaml").unlink()
    assert srv.proc is not None
    srv.proc.send_signal(signal.SIGHUP)
    assert _wait(lambda: c.get("/kapacitor/v1/templates/max_of").status_code == 404)
    assert _wait(
        lambda: c.get("/kapacitor/v1/alerts/topics/cpu/handlers/to-log").status_code == 404
    )
    assert c.get("/kapacitor/v1/tasks/cpu_count").json()["executing"] is True

    # Objects defined through the API are never touched by a reload.
    r = c.post(
        "/kapacitor/v1/tasks",
        json={"id": "by_api", "type": "stream", "dbrps": [{"db": "a", "rp": "b"}], "script": API},
    )
    assert r.status_code == 200
    assert c.post("/kapacitor/v1/load").json()["removed"] == []
    assert c.get("/kapacitor/v1/tasks/by_api").status_code == 200

    # After a restart the files load again onto the stored objects.
    srv.restart()
    c = srv.client
    task = c.get("/kapacitor/v1/tasks/cpu_count").json()
    assert task["executing"] is True and "sum('value')" in task["script"]
    assert c.get("/kapacitor/v1/tasks/by_api").status_code == 200


def test_reload_when_disabled_is_refused(server_factory) -> None:
    srv = server_factory()
    r = srv.client.post("/kapacitor/v1/load")
    assert r.status_code == 400
    assert r.json() == {"error": "load service is not enabled"}


def test_load_dir_must_be_absolute(server_factory) -> None:
    srv = server_factory(config='[load]\n  enabled = true\n  dir = "relative/load"\n', start=False)
    try:
        srv.start(timeout=10)
    except RuntimeError as exc:
        assert "dir must be an absolute path" in str(exc)
    else:
        raise AssertionError("a relative load dir must stop the start")
