"""Run Kapacitor's own Python UDF agent library and example agents against a real kapacitrio server.

    python scripts/check_kapacitor_agents.py DIR [--python PY] [--pythonpath PATH] [--no-influxd]

DIR holds Kapacitor's files, as in its source tree (nothing of them is part of this repository):
`agent.py` of its Python agent library (`udf/agent/py/kapacitor/udf/agent.py`) and the example
agents `moving_avg.py`, `mirror.py` and `outliers.py` (`udf/agent/examples/*/`); they are found
anywhere below DIR. Their `kapacitor.udf.udf_pb2` is a shim pointing at kapacitrio's own messages
(on Python 2, whose protobuf cannot load modern generated code, the same messages are built from
kapacitrio's serialized descriptor), so the check also proves the wire and the names compatible.

`--python` is the interpreter the agents run with (Kapacitor documents `python2`; its examples use
Python 2 idioms in their snapshot and median code) and `--pythonpath` where that interpreter finds
`google.protobuf`. Each example runs beside the same agent from tests/udf/agents.py, in the same
tasks on the same data: stream tasks (moving average as a process with snapshot/restore across a
task restart, mirror over a unix socket, outliers over windows) and, with influxd on PATH, a batch
task querying InfluxDB into the outliers agent. Exit status 0 when every result is as expected.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from kapacitrio.testing.influxd import free_port, influxd_path, running_influxd
from kapacitrio.udf import udf_pb2

ROOT = Path(__file__).resolve().parent.parent
OURS = ROOT / "tests" / "udf" / "agents.py"
DB = "udfcheck"

SHIM = '''"""kapacitor.udf.udf_pb2 for the check: kapacitrio's messages (written by the check script)."""
import os
import sys

if sys.version_info >= (3, 0):
    from kapacitrio.udf import udf_pb2 as _ours

    sys.modules[__name__] = _ours
else:
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    with open(os.path.join(os.path.dirname(__file__), "udf.desc"), "rb") as f:
        _fdp = descriptor_pb2.FileDescriptorProto.FromString(f.read())
    _pool = descriptor_pool.DescriptorPool()
    _pool.Add(_fdp)
    DESCRIPTOR = _pool.FindFileByName(_fdp.name)
    _factory = message_factory.MessageFactory(_pool)
    for _name, _desc in DESCRIPTOR.message_types_by_name.items():
        globals()[_name] = _factory.GetPrototype(_desc)
    for _enum in DESCRIPTOR.enum_types_by_name.values():
        for _v in _enum.values:
            globals()[_v.name] = _v.number
'''


def find(root: Path, name: str, parent: str = "") -> Path:
    """The file `name` below `root` (preferring one in a folder `parent`)."""
    hits = sorted(p for p in root.rglob(name) if "py2" not in p.parts)
    for p in hits:
        if not parent or p.parent.name == parent:
            return p
    if hits:
        return hits[0]
    raise SystemExit(f"{name} not found below {root}")


def overlay(kapacitor_dir: Path, lib: Path) -> None:
    """A `kapacitor.udf` package: Kapacitor's agent.py with the udf_pb2 shim beside it."""
    pkg = lib / "kapacitor" / "udf"
    pkg.mkdir(parents=True)
    (lib / "kapacitor" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    shutil.copy(find(kapacitor_dir, "agent.py", "udf"), pkg / "agent.py")
    (pkg / "udf_pb2.py").write_text(SHIM)
    (pkg / "udf.desc").write_bytes(udf_pb2.DESCRIPTOR.serialized_pb)
    # Older examples import the library as top-level `agent` and `udf_pb2` modules.
    (lib / "agent.py").write_text("from kapacitor.udf.agent import *  # noqa\n")
    alias = "import sys\nfrom kapacitor.udf import udf_pb2 as _m\n\nsys.modules[__name__] = _m\n"
    (lib / "udf_pb2.py").write_text(alias)


def toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def process_fn(name: str, prog: str, args: list[str], env: dict[str, str]) -> str:
    lines = [f"[udf.functions.{name}]", f"prog = {toml_str(prog)}"]
    lines.append("args = [" + ", ".join(toml_str(a) for a in args) + "]")
    lines += ['timeout = "10s"', f"[udf.functions.{name}.env]"]
    lines += [f"{k} = {toml_str(v)}" for k, v in env.items()]
    return "\n".join(lines) + "\n"


def socket_fn(name: str, path: Path) -> str:
    return f'[udf.functions.{name}]\nsocket = {toml_str(str(path))}\ntimeout = "10s"\n'


def wait_for(fn: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@contextlib.contextmanager
def started(cmd: list[str], env: dict[str, str], log: Path, ready: Callable[[], bool]) -> Iterator:
    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: ready() or proc.poll() is not None, f"{cmd[-1]} to start")
        if proc.poll() is not None:
            raise SystemExit(f"{' '.join(cmd)} exited:\n{log.read_text()}")
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Checker:
    """Defines the same task for Kapacitor's agent and ours and compares what comes out."""

    def __init__(self, client: httpx.Client) -> None:
        self.c = client
        self.failures = 0

    def define(self, task_id: str, script: str, kind: str = "stream") -> None:
        body = {
            "id": task_id,
            "type": kind,
            "dbrps": [{"db": DB, "rp": "autogen"}],
            "script": script,
            "status": "enabled",
        }
        r = self.c.post("/kapacitor/v1/tasks", json=body)
        if r.status_code != 200:
            raise AssertionError(f"defining {task_id}: {r.text}")

    def write(self, body: str) -> None:
        r = self.c.post(f"/kapacitor/v1/write?db={DB}&rp=autogen&precision=s", content=body)
        if r.status_code != 204:
            raise AssertionError(r.text)

    def series(self, task_id: str, endpoint: str, n: int = 1) -> list[dict]:
        def got() -> Any:
            r = self.c.get(f"/kapacitor/v1/tasks/{task_id}/{endpoint}")
            s = r.json().get("series") if r.status_code == 200 else None
            if not s:
                err = self.c.get(f"/kapacitor/v1/tasks/{task_id}").json().get("error")
                if err:
                    raise AssertionError(f"task {task_id} failed: {err}")
            return s if s and len(s) >= n else None

        return sorted(
            wait_for(got, f"{task_id} output"), key=lambda s: sorted(s.get("tags", {}).items())
        )

    def report(self, what: str, theirs: Any, ours: Any, expected: Any) -> None:
        ok = same(theirs, ours) and same(theirs, expected)
        self.failures += not ok
        print(f"{'MATCH ' if ok else 'DIFFER'} {what}")
        if not ok:
            print(f"  kapacitor's agent: {theirs}\n  kapacitrio's test agent: {ours}")
            print(f"  expected: {expected}")


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def outputs(series: list[dict]) -> list[dict]:
    return [
        {"tags": s.get("tags", {}), "columns": s["columns"], "values": s["values"]} for s in series
    ]


MOVING_AVG = """stream
    |from()
        .measurement('cpu')
        .groupBy('host')
    @{udf}()
        .field('value')
        .size(3)
        .as('mavg')
    |window()
        .periodCount(5)
        .everyCount(5)
    |httpOut('ma')
"""

MIRROR = """stream
    |from()
        .measurement('m')
        .groupBy('host')
    @{udf}()
    |window()
        .periodCount(2)
        .everyCount(2)
    |httpOut('out')
"""

OUTLIERS_STREAM = """stream
    |from()
        .measurement('temp')
    |window()
        .periodCount(11)
        .everyCount(11)
    @{udf}()
        .field('value')
        .scale(1.5)
    |httpOut('out')
"""

OUTLIERS_BATCH = """batch
    |query('SELECT value FROM "udfcheck"."autogen"."printer"')
        .period(1h)
        .every(1s)
    @{udf}()
        .field('value')
        .scale(1.5)
    |httpOut('out')
"""

TUKEY = [-100, 11, 12, 13, 14, 15, 16, 17, 18, 19, 500]


def check_moving_average(ck: Checker) -> None:
    for udf in ("kMovingAvg", "oMovingAvg"):
        ck.define(udf, MOVING_AVG.format(udf=udf))
    lines = [f"cpu,host=a value={v} {t}" for t, v in enumerate([1, 2, 3, 4, 5], 1)]
    lines += [f"cpu,host=b value={v} {t}" for t, v in enumerate([10, 20, 30, 40, 50], 1)]
    ck.write("\n".join(lines) + "\n")
    got = {u: outputs(ck.series(u, "ma", 2)) for u in ("kMovingAvg", "oMovingAvg")}

    def averages(host: str, first: int, values: list[float]) -> dict:
        rows = [[f"1970-01-01T00:00:{t:02d}Z", v] for t, v in enumerate(values, first)]
        return {"tags": {"host": host}, "columns": ["time", "mavg"], "values": rows}

    ck.report(
        "moving average, process, stream task: every average of each group",
        got["kMovingAvg"],
        got["oMovingAvg"],
        [
            averages("a", 1, [1.0, 1.5, 2.0, 3.0, 4.0]),
            averages("b", 1, [10.0, 15.0, 20.0, 30.0, 40.0]),
        ],
    )
    # Snapshot at the clean stop, restore at the start: the window [4, 5] carries over.
    for udf in ("kMovingAvg", "oMovingAvg"):
        for status in ("disabled", "enabled"):
            r = ck.c.patch(f"/kapacitor/v1/tasks/{udf}", json={"status": status})
            if r.status_code != 200:
                raise AssertionError(r.text)
    ck.write("".join(f"cpu,host=a value={t} {t}\n" for t in range(6, 11)))
    got = {u: outputs(ck.series(u, "ma")) for u in ("kMovingAvg", "oMovingAvg")}
    ck.report(
        "moving average, snapshot and restore across a task restart",
        got["kMovingAvg"],
        got["oMovingAvg"],
        [averages("a", 6, [5.0, 6.0, 7.0, 8.0, 9.0])],  # without the restore: 6.0, 6.5, ...
    )


def check_mirror(ck: Checker) -> None:
    for udf in ("kMirror", "oMirror"):
        ck.define(udf, MIRROR.format(udf=udf))
    ck.write('m,host=a value=1.5,n=3i,s="x",b=true 1\nm,host=a value=2.5,n=4i,s="y",b=false 2\n')
    got = {u: outputs(ck.series(u, "out")) for u in ("kMirror", "oMirror")}
    ck.report(
        "mirror, unix socket, stream task: every point back unchanged",
        got["kMirror"],
        got["oMirror"],
        [
            {
                "tags": {"host": "a"},
                "columns": ["time", "b", "n", "s", "value"],
                "values": [
                    ["1970-01-01T00:00:01Z", True, 3, "x", 1.5],
                    ["1970-01-01T00:00:02Z", False, 4, "y", 2.5],
                ],
            }
        ],
    )


def check_outliers_stream(ck: Checker) -> None:
    for udf in ("kOutliers", "oOutliers"):
        ck.define(udf, OUTLIERS_STREAM.format(udf=udf))
    ck.write("".join(f"temp value={v} {t}\n" for t, v in enumerate(TUKEY, 1)))
    got = {u: outputs(ck.series(u, "out")) for u in ("kOutliers", "oOutliers")}
    ck.report(
        "outliers, process, batch edge in a stream task (window of 11)",
        got["kOutliers"],
        got["oOutliers"],
        [
            {
                "tags": {},
                "columns": ["time", "value"],
                "values": [["1970-01-01T00:00:01Z", -100.0], ["1970-01-01T00:00:11Z", 500.0]],
            }
        ],
    )


def check_outliers_batch(ck: Checker, influx: str) -> None:
    now = int(time.time()) - 60
    body = "".join(f"printer value={float(v)} {now + t}\n" for t, v in enumerate(TUKEY))
    r = httpx.post(f"{influx}/write", params={"db": DB, "precision": "s"}, content=body)
    if r.status_code != 204:
        raise AssertionError(r.text)
    for udf in ("kOutliersB", "oOutliersB"):
        ck.define(udf, OUTLIERS_BATCH.format(udf=udf.rstrip("B")), "batch")
    got = {u: outputs(ck.series(u, "out")) for u in ("kOutliersB", "oOutliersB")}

    def iso(t: int) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))

    ck.report(
        "outliers, process, batch task querying InfluxDB",
        got["kOutliersB"],
        got["oOutliersB"],
        [
            {
                "tags": {},
                "columns": ["time", "value"],
                "values": [[iso(now), -100.0], [iso(now + 10), 500.0]],
            }
        ],
    )


def run(args: argparse.Namespace, work: Path, influx: str | None) -> int:
    kdir = Path(args.dir).resolve()
    lib = work / "lib"
    overlay(kdir, lib)
    agent_path = os.pathsep.join([str(lib), *args.pythonpath, str(ROOT)])
    env = {"PYTHONPATH": agent_path}
    py = args.python
    ksock, osock = work / "kmirror.sock", work / "omirror.sock"
    config = ['[task]\nsnapshot-interval = "1s"\n']
    config.append(process_fn("kMovingAvg", py, ["-u", str(find(kdir, "moving_avg.py"))], env))
    config.append(process_fn("kOutliers", py, ["-u", str(find(kdir, "outliers.py"))], env))
    config.append(socket_fn("kMirror", ksock))
    ours = {"PYTHONPATH": str(ROOT)}
    config.append(process_fn("oMovingAvg", sys.executable, ["-u", str(OURS), "moving_avg"], ours))
    config.append(process_fn("oOutliers", sys.executable, ["-u", str(OURS), "outliers"], ours))
    config.append(socket_fn("oMirror", osock))
    if influx:
        config.append(
            f'[[influxdb]]\nenabled = true\nname = "main"\nurls = ["{influx}"]\n'
            "disable-subscriptions = true\n"
        )
    cfg = work / "kapacitrio.toml"
    cfg.write_text("\n".join(config))
    port = free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("KAPACITOR_", "KAPACITRIO_"))}
    server_env = base | {
        "KAPACITOR_HTTP_BIND_ADDRESS": f"127.0.0.1:{port}",
        "KAPACITOR_DATA_DIR": str(work / "data"),
        "PYTHONUNBUFFERED": "1",
    }
    url = f"http://127.0.0.1:{port}"

    def ping() -> bool:
        try:
            return httpx.get(url + "/kapacitor/v1/ping", timeout=1).status_code == 204
        except httpx.HTTPError:
            return False

    kmirror = [py, "-u", str(find(kdir, "mirror.py")), str(ksock)]
    omirror = [sys.executable, "-u", str(OURS), "mirror", "--socket", str(osock)]
    log = work / "run.log"
    print(f"agents run with: {py}; server config: {cfg}; logs: {log}")
    with (
        started(kmirror, base | env, log, ksock.exists),
        started(omirror, base | ours, log, osock.exists),
        started(
            [sys.executable, "-m", "kapacitrio", "serve", "-config", str(cfg)],
            server_env,
            log,
            ping,
        ),
        httpx.Client(base_url=url, timeout=10) as client,
    ):
        ck = Checker(client)
        checks: list[Callable[[], None]] = [
            lambda: check_moving_average(ck),
            lambda: check_mirror(ck),
            lambda: check_outliers_stream(ck),
        ]
        if influx:
            checks.append(lambda: check_outliers_batch(ck, influx))
        else:
            print("SKIP   outliers in a batch task (no influxd on PATH)")
        for check in checks:
            try:
                check()
            except AssertionError as exc:
                ck.failures += 1
                print(f"FAILED {exc}")
        for task in client.get("/kapacitor/v1/tasks").json()["tasks"]:
            if task["error"]:
                print(f"task {task['id']} error: {task['error']}")
                ck.failures += 1
    print("all matched" if not ck.failures else f"{ck.failures} check(s) differ")
    return 1 if ck.failures else 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dir", help="a folder holding Kapacitor's agent.py and example agents")
    p.add_argument("--python", default=sys.executable, help="interpreter for Kapacitor's agents")
    p.add_argument("--pythonpath", action="append", default=[], help="extra path for the agents")
    p.add_argument("--no-influxd", action="store_true", help="skip the batch task")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="kapa-check-") as tmp:
        work = Path(tmp)
        if args.no_influxd or influxd_path() is None:
            return run(args, work, None)
        with running_influxd(database=DB) as influx:
            return run(args, work, influx.url)


if __name__ == "__main__":
    sys.exit(main())
