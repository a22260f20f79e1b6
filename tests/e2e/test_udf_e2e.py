"""UDFs end to end: agents from tests/udf/agents.py as processes and over a socket, real server."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from kapacitrio.testing.polling import wait_for

AGENTS = Path(__file__).resolve().parent.parent / "udf" / "agents.py"


def fn(name: str, timeout: str = "10s") -> str:
    return (
        f'prog = "{sys.executable}"\nargs = ["-u", "{AGENTS}", "{name}"]\ntimeout = "{timeout}"\n'
    )


def udf_config(functions: dict[str, str]) -> str:
    return "".join(f"[udf.functions.{n}]\n{body}\n" for n, body in functions.items())


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
        config = '[task]\nsnapshot-interval = "1s"\n\n' + udf_config(
            {
                "movingAverage": fn("moving_avg"),
                "outliers": fn("outliers"),
                "chunks": fn("chunks"),
                "batchMean": fn("batch_mean"),
                "typed": fn("typed"),
                "refuse": fn("refuse"),
                "crash": fn("crash"),
                "hang": fn("hang", "3s"),
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


def test_outliers_and_edge_conversions(udf_server):
    c = udf_server.client
    script = (
        "stream\n    |from()\n        .measurement('m')\n    @chunks()\n        .size(11)\n"
        "    @outliers()\n        .field('value')\n        .scale(1.5)\n    |httpOut('out')\n"
    )
    define(c, "tukey", script)
    values = [-100, 11, 12, 13, 14, 15, 16, 17, 18, 19, 500]
    write(c, "".join(f"m value={v} {t}\n" for t, v in enumerate(values, 1)))
    got = wait_for(lambda: series(c, "tukey", "out"), what="outliers")
    assert [row[1] for row in got[0]["values"]] == [-100.0, 500.0]
    assert [row[0] for row in got[0]["values"]] == [
        "1970-01-01T00:00:01Z",
        "1970-01-01T00:00:11Z",
    ]
    mean = "stream\n    |from()\n        .measurement('m')\n    @chunks()\n        .size(2)\n    @batchMean()\n        .field('value')\n    |window()\n        .periodCount(2)\n        .everyCount(2)\n    |httpOut('mean')\n"
    define(c, "mean", mean)
    write(c, "".join(f"m value={v} {t}\n" for t, v in enumerate([1, 3, 10, 20], 20)))
    got = wait_for(lambda: series(c, "mean", "mean"), what="batch means")
    assert got[0]["columns"] == ["time", "count", "mean"]
    assert [row[1:] for row in got[0]["values"]] == [[2, 2.0], [2, 15.0]]


def test_typed_options_and_init_ids(udf_server):
    c = udf_server.client
    script = (
        "stream\n    |from()\n        .measurement('m')\n    @typed()\n        .flag(TRUE)\n"
        "        .count(7)\n        .ratio(0.5)\n        .label('x')\n        .every(90s)\n"
        "        .pair('p', 2)\n    |httpOut('out')\n"
    )
    define(c, "typed", script)
    write(c, "m value=1 1\n")
    got = wait_for(lambda: series(c, "typed", "out"), what="typed point")
    row = dict(zip(got[0]["columns"], got[0]["values"][0], strict=True))
    assert row["task"] == "typed" and row["node"] == "typed2"
    assert row["flag0_BOOL"] is True and row["count0_INT"] == 7 and row["ratio0_DOUBLE"] == 0.5
    assert row["label0_STRING"] == "x" and row["every0_DURATION"] == 90 * 10**9
    assert row["pair0_STRING"] == "p" and row["pair1_INT"] == 2


def test_define_time_type_errors(udf_server):
    r = udf_server.client.post(
        "/kapacitor/v1/tasks",
        json={
            "id": "bad",
            "type": "stream",
            "dbrps": [{"db": "db", "rp": "rp"}],
            "script": "stream|from()@movingAverage().size('3')",
        },
    )
    assert r.status_code == 400
    assert r.json()["error"].endswith("unexpected arg to size, got STRING expected INT")


@pytest.mark.parametrize(
    ("udf", "body", "error"),
    [
        (
            "crash",
            "m value=1 1\nm value=2 2\n",
            "crash2: process exited unexpectedly: exit status 3",
        ),
        ("fail", "m value=-1 1\n", "fail2: negative value -1.0 at 1000000000"),
        ("refuse", "", "refuse2: failed to initialize processes field is not allowed here"),
        ("hang", "m value=1 1\n", "hang2: keepalive timedout, last keepalive received was: "),
    ],
)
def test_agent_failures_stop_the_task(udf_server, udf, body, error):
    c = udf_server.client
    define(
        c,
        udf,
        f"stream\n    |from()\n        .measurement('m')\n    @{udf}()\n    |httpOut('out')\n",
    )
    if body:
        write(c, body)
    got = wait_for(lambda: task_error(c, udf), what=f"{udf} error")
    assert got.startswith(error)
    info = c.get(f"/kapacitor/v1/tasks/{udf}").json()
    assert info["executing"] is False and info["status"] == "enabled"
    # The agent is restarted with the task: re-enabling starts a new process.
    if udf == "crash":
        assert c.patch(f"/kapacitor/v1/tasks/{udf}", json={"status": "disabled"}).status_code == 200
        assert c.patch(f"/kapacitor/v1/tasks/{udf}", json={"status": "enabled"}).status_code == 200
        assert c.get(f"/kapacitor/v1/tasks/{udf}").json()["executing"] is True
        write(c, "m value=5 5\n")
        assert wait_for(lambda: series(c, udf, "out"), what="points after restart")
        assert "crashing now" in udf_server.logs()


def test_snapshot_restored_across_restarts(udf_server):
    c = udf_server.client
    script = (
        "stream\n    |from()\n        .measurement('cpu')\n    @movingAverage()\n"
        "        .field('value')\n        .size(3)\n        .as('mavg')\n    |httpOut('ma')\n"
    )
    define(c, "snap", script)

    def last():
        s = series(c, "snap", "ma")
        return s and s[0]["values"][-1]

    write(c, "cpu value=1 1\ncpu value=2 2\n")
    assert wait_for(lambda: (v := last()) and v[0].endswith(":02Z") and v)[1] == 1.5
    assert c.patch("/kapacitor/v1/tasks/snap", json={"status": "disabled"}).status_code == 200
    assert c.patch("/kapacitor/v1/tasks/snap", json={"status": "enabled"}).status_code == 200
    write(c, "cpu value=3 3\n")
    assert wait_for(lambda: (v := last()) and v[0].endswith(":03Z") and v)[1] == 2.0  # [1, 2, 3]
    # A server stop cancels its tasks: what survives is the last periodic snapshot (every 1s here).
    time.sleep(2.5)
    udf_server.restart()
    c = udf_server.client
    write(c, "cpu value=9 4\n")
    assert wait_for(lambda: (v := last()) and v[0].endswith(":04Z") and v)[1] == pytest.approx(
        14 / 3
    )  # [2, 3, 9]
    assert c.delete("/kapacitor/v1/tasks/snap").status_code == 204
