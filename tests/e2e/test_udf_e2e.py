"""UDFs end to end: agents from tests/udf/agents.py as processes and over a socket, real server."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

AGENTS = Path(__file__).resolve().parent.parent / "udf" / "agents.py"


def fn(name: str, timeout: str = "10s") -> str:
    return (
        f'prog = "{sys.executable}"\nargs = ["-u", "{AGENTS}", "{name}"]\ntimeout = "{timeout}"\n'
    )


def udf_config(functions: dict[str, str]) -> str:
    return "".join(f"[udf.functions.{n}]\n{body}\n" for n, body in functions.items())


def wait_for(fn, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def define(c, task_id: str, script: str, type_: str = "stream", status: str = "enabled"):
    r = c.post(
        "/kapacitor/v1/tasks",
        json={
            "id": task_id,
            "type": type_,
            "dbrps": [{"db": "db", "rp": "rp"}],
            "script": script,
            "status": status,
        },
    )
    assert r.status_code == 200, r.text
    return r.json()


def write(c, body: str, precision: str = "s") -> None:
    r = c.post(f"/kapacitor/v1/write?db=db&rp=rp&precision={precision}", content=body)
    assert r.status_code == 204, r.text


def series(c, task_id: str, endpoint: str):
    r = c.get(f"/kapacitor/v1/tasks/{task_id}/{endpoint}")
    if r.status_code != 200:
        return None
    return r.json().get("series")


def task_error(c, task_id: str) -> str:
    return c.get(f"/kapacitor/v1/tasks/{task_id}").json()["error"]


MOVING_AVG = """
stream
    |from()
        .measurement('cpu')
        .groupBy('host')
    @movingAverage()
        .field('value')
        .size(3)
        .as('mavg')
    |window()
        .periodCount(5)
        .everyCount(5)
    |httpOut('ma')
"""


@pytest.fixture
def udf_server(server_factory, tmp_path):
    sock = tmp_path / "mirror.sock"
    agent = subprocess.Popen(
        [sys.executable, "-u", str(AGENTS), "mirror", "--socket", str(sock)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert agent.stdout.readline().strip() == "listening"
        config = udf_config(
            {
                "movingAverage": fn("moving_avg"),
                "outliers": fn("outliers"),
                "chunks": fn("chunks"),
                "batchMean": fn("batch_mean"),
                "typed": fn("typed"),
                "refuse": fn("refuse"),
                "crash": fn("crash"),
                "hang": fn("hang", "1s"),
                "fail": fn("fail"),
                "mirror": f'socket = "{sock}"\ntimeout = "10s"\n',
            }
        )
        yield server_factory(config=config)
    finally:
        agent.kill()
        agent.wait()


def test_moving_average_process_stream(udf_server):
    c = udf_server.client
    define(c, "ma", MOVING_AVG)
    lines = [f"cpu,host=a value={v} {t}\n" for t, v in enumerate([1, 2, 3, 4, 5], 1)]
    lines += [f"cpu,host=b value={v} {t}\n" for t, v in enumerate([10, 20, 30, 40, 50], 1)]
    write(c, "".join(lines))
    got = wait_for(
        lambda: (s := series(c, "ma", "ma")) and len(s) == 2 and s, what="moving averages"
    )
    got.sort(key=lambda s: s["tags"]["host"])
    assert got[0]["columns"] == ["time", "mavg"]
    assert [row[1] for row in got[0]["values"]] == pytest.approx([1.0, 1.5, 2.0, 3.0, 4.0])
    assert got[0]["tags"] == {"host": "a"}
    assert [row[1] for row in got[1]["values"]] == pytest.approx([10.0, 15.0, 20.0, 30.0, 40.0])
    dot = c.get("/kapacitor/v1/tasks/ma").json()["dot"]
    node = next(line for line in dot.splitlines() if line.startswith("movingAverage2 ["))
    assert 'collected="10"' in node and 'emitted="10"' in node and 'errors="0"' in node


def test_mirror_over_socket(udf_server):
    c = udf_server.client
    script = (
        "stream\n    |from()\n        .measurement('m')\n        .groupBy('host')\n    @mirror()\n"
        "    |window()\n        .periodCount(2)\n        .everyCount(2)\n    |httpOut('out')\n"
    )
    define(c, "mir", script)
    write(c, 'm,host=a value=1.5,n=3i,s="x",b=true 1\nm,host=a value=2.5,n=4i,s="y",b=false 2\n')
    got = wait_for(lambda: series(c, "mir", "out"), what="mirrored points")
    assert got[0]["tags"] == {"host": "a"}
    assert got[0]["columns"] == ["time", "b", "n", "s", "value"]
    assert [r[1:] for r in got[0]["values"]] == [[True, 3, "x", 1.5], [False, 4, "y", 2.5]]
