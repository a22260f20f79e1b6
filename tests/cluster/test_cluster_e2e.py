"""Three kapacitrio instances on a three-node NATS cluster, each a host in its own network namespace.

Driven over the real HTTP APIs: a task defined on one instance runs on its owner; kill -9 of an
instance mid-stream moves its tasks, loses no acknowledged write and fires no second CRITICAL;
an instance cut off from NATS gives its tasks up and takes them back once healed.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from kapacitrio.cluster.members import owner_of
from tests.cluster.netns import (
    NATS_SERVER,
    Lab,
    NamespacesRefused,
    kapacitrio_argv,
    nats_config,
    wait_until,
)

pytestmark = pytest.mark.e2e

NAMES = ["k1", "k2", "k3"]
UDP_PORT = 9100
#: Every instance listens for line protocol on UDP too (into db.rp).
UDP_CONFIG = (
    f'[[udp]]\nenabled = true\nbind-address = ":{UDP_PORT}"\n'
    'database = "db"\nretention-policy = "rp"\n'
)
HEARTBEAT, LEASE = "0.3s", "2s"


class Receiver:
    """Alert posts by path, from a threaded HTTP server on the lab's gateway address."""

    def __init__(self, host: str) -> None:
        self.posts: dict[str, list[dict]] = {}
        self.truncated = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive: the members post every alert, and a connection per post could not
            # keep up with the writers on a loaded machine (a backlog, not a loss).
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                if len(body) < length:  # its sender was killed mid-post: nothing was delivered
                    with outer.lock:
                        outer.truncated += 1
                    return
                with outer.lock:
                    outer.posts.setdefault(self.path, []).append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def get(self, path: str) -> list[dict]:
        with self.lock:
            return list(self.posts.get(path, []))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class Cluster:
    def __init__(self, lab: Lab, workdir: Path) -> None:
        self.lab = lab
        self.workdir = workdir
        self.nats_ips = [lab.hosts[f"n{i}"].ip for i in (1, 2, 3)]
        self.procs: dict[str, object] = {}
        self.http = httpx.Client(timeout=5.0)

    def url(self, name: str) -> str:
        return f"http://{self.lab.hosts[name].ip}:9092"

    def start(self, name: str) -> None:
        env = {
            "KAPACITOR_DATA_DIR": str(self.workdir / name),
            "KAPACITOR_HTTP_BIND_ADDRESS": f"{self.lab.hosts[name].ip}:9092",
            "KAPACITOR_CLUSTER_ENABLED": "true",
            "KAPACITOR_CLUSTER_NATS_URLS": ",".join(f"nats://{ip}:4222" for ip in self.nats_ips),
            "KAPACITOR_CLUSTER_NAME": name,
            "KAPACITOR_CLUSTER_HEARTBEAT": HEARTBEAT,
            "KAPACITOR_CLUSTER_LEASE": LEASE,
            "KAPACITOR_CLUSTER_CHECKPOINT_INTERVAL": "0.25s",
            "KAPACITOR_CLUSTER_REPLICAS": "3",
            "KAPACITOR_CLUSTER_PREFIX": "kt",
            "KAPACITOR_KKOK_INITIAL_INTERVAL": "1",
            "KAPACITOR_KKOK_MAX_INTERVAL": "1",
            "KAPACITOR_CONFIG_PATH": str(self.workdir / "kapacitrio.toml"),
        }
        self.procs[name] = self.lab.spawn(
            name, kapacitrio_argv(), self.workdir / f"{name}.log", env
        )

    def status(self, name: str) -> dict | None:
        try:
            r = self.http.get(self.url(name) + "/kapacitor/v1preview/cluster", timeout=2.0)
        except httpx.HTTPError:
            return None
        return r.json() if r.status_code == 200 else None

    def members(self, name: str) -> list[str]:
        st = self.status(name)
        return [] if st is None else [m["name"] for m in st["members"]]

    def running(self, via: str) -> dict[str, list[str]]:
        """Task id -> the members whose heartbeat says they run it (as `via` sees them)."""
        st = self.status(via) or {"tasks": []}
        return {t["id"]: t["running-on"] for t in st["tasks"]}

    def log(self, name: str) -> str:
        return (self.workdir / f"{name}.log").read_text(errors="replace")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    workdir = tmp_path_factory.mktemp("cluster")
    try:
        lab = Lab(workdir)
    except NamespacesRefused as exc:
        pytest.skip(f"network namespaces are refused here: {exc}")
    try:
        try:
            for i in (1, 2, 3):
                lab.add_host(f"n{i}", 10 + i)
            for i, name in enumerate(NAMES, start=1):
                lab.add_host(name, 20 + i)
        except NamespacesRefused as exc:
            pytest.skip(f"network namespaces are refused here: {exc}")
        c = Cluster(lab, workdir)
        (workdir / "kapacitrio.toml").write_text(UDP_CONFIG)
        for i in (1, 2, 3):
            conf = workdir / f"n{i}.conf"
            conf.write_text(nats_config(f"n{i}", c.nats_ips[i - 1], c.nats_ips, workdir / f"js{i}"))
            lab.spawn(f"n{i}", [NATS_SERVER, "-c", str(conf)], workdir / f"n{i}.log")
        for name in NAMES:
            c.start(name)
        try:
            wait_until(lambda: all(len(c.members(n)) == 3 for n in NAMES), 60, 0.3, "3 members")
        except AssertionError:
            for name in NAMES:
                print(name, c.log(name)[-3000:])
            raise
        c.receiver = Receiver(lab.gateway)
        yield c
        c.receiver.close()
        c.http.close()
    finally:
        lab.close()


def task_owned_by(prefix: str, owner: str) -> str:
    for i in range(1000):
        task_id = f"{prefix}-{i}"
        if owner_of(task_id, NAMES) == owner:
            return task_id
    raise AssertionError("no id found")


def define(c: Cluster, via: str, task_id: str, script: str) -> None:
    body = {
        "id": task_id,
        "type": "stream",
        "dbrps": [{"db": "db", "rp": "rp"}],
        "script": script,
        "status": "enabled",
    }
    r = c.http.post(c.url(via) + "/kapacitor/v1/tasks", json=body)
    assert r.status_code == 200, r.text


def seq_script(receiver: str, task_id: str) -> str:
    return (
        "stream\n  |from()\n    .measurement('seq')\n    .groupBy('n')\n  |alert()\n"
        "    .id('{{ index .Tags \"n\" }}')\n    .crit(lambda: TRUE)\n"
        f"    .post('{receiver}/seq/{task_id}')\n"
    )


def lvl_script(receiver: str, task_id: str) -> str:
    return (
        "stream\n  |from()\n    .measurement('lvl')\n  |alert()\n    .id('lvl')\n"
        '    .crit(lambda: "v" > 50)\n    .stateChangesOnly()\n'
        f"    .post('{receiver}/lvl/{task_id}')\n"
    )


def count_script(receiver: str, task_id: str) -> str:
    """Posts every `lvl` point with its running count: a count() that started again after a
    move would post 1 a second time."""
    return (
        "stream\n  |from()\n    .measurement('lvl')\n  |eval(lambda: count())\n    .as('n')\n"
        "  |alert()\n    .id('cnt')\n    .message('{{ index .Fields \"n\" }}')\n"
        f"    .crit(lambda: TRUE)\n    .post('{receiver}/cnt/{task_id}')\n"
    )


class Writer:
    """Writes `seq` points (unique tag n) and `lvl` points to the given instances, round robin;
    a refused write is retried on the next instance. `acked` holds the n of every 204."""

    def __init__(self, c: Cluster, targets: list[str], lvl: float = 100.0) -> None:
        self.c = c
        self.targets = list(targets)
        self.lvl = lvl
        self.acked: set[int] = set()
        self.refused = 0
        self.n = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Writer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(15)

    def _run(self) -> None:
        client = httpx.Client(timeout=3.0)
        i = 0
        while not self.stop.is_set():
            batch = list(range(self.n, self.n + 10))
            self.n += 10
            now = time.time_ns()
            lines = [f"seq,n={n} v=1 {now + k}" for k, n in enumerate(batch)]
            lines.append(f"lvl v={self.lvl} {now + 10}")
            body = "\n".join(lines)
            for attempt in range(2 * len(self.targets)):
                target = self.targets[(i + attempt) % len(self.targets)]
                try:
                    r = client.post(
                        self.c.url(target) + "/kapacitor/v1/write?db=db&rp=rp", content=body
                    )
                    if r.status_code == 204:
                        self.acked.update(batch)
                        break
                except httpx.HTTPError:
                    pass
                self.refused += 1
            i += 1
            time.sleep(0.05)
        client.close()


def missing(c: Cluster, task_id: str, acked: set[int]) -> set[int]:
    got = {int(p["id"]) for p in c.receiver.get(f"/seq/{task_id}")}
    return acked - got


def test_define_on_one_run_on_another(cluster: Cluster) -> None:
    c = cluster
    task_id = task_owned_by("where", "k2")
    script = "stream\n  |from()\n    .measurement('where')\n  |httpOut('last')\n"
    define(c, "k1", task_id, script)

    def shown() -> dict | None:
        r = c.http.get(c.url("k3") + f"/kapacitor/v1/tasks/{task_id}")
        doc = r.json()
        return doc if doc.get("executing") else None

    doc = wait_until(shown, 10, what="the task to run")
    assert doc["cluster"]["instance"] == "k2"
    wait_until(lambda: c.running("k1")[task_id] == ["k2"], 5, what="k2's heartbeat to say so")
    r = c.http.post(c.url("k3") + "/kapacitor/v1/write?db=db&rp=rp", content="where v=42 1")
    assert r.status_code == 204

    def out() -> dict | None:
        r = c.http.get(c.url("k1") + f"/kapacitor/v1/tasks/{task_id}/last")
        return r.json() if r.status_code == 200 and r.json().get("series") else None

    result = wait_until(out, 10, what="the httpOut result through k1")
    assert result["series"][0]["values"][0][1] == 42
    stats = c.http.get(c.url("k1") + f"/kapacitor/v1/tasks/{task_id}").json()["stats"]
    assert stats["node-stats"]["from1"]["emitted"] == 1  # the owner's stats, through k1
    for via in NAMES:  # the list too, with its field selection and pattern
        args = {"pattern": task_id, "fields": ["executing", "stats"], "limit": 5}
        listed = c.http.get(c.url(via) + "/kapacitor/v1/tasks", params=args).json()
        assert [t["id"] for t in listed["tasks"]] == [task_id] and "cluster" not in listed
        assert listed["tasks"][0]["executing"] is True, via
        assert listed["tasks"][0]["stats"]["node-stats"]["from1"]["emitted"] == 1, via
    # bad input is refused where it lands, and nothing is published
    r = c.http.post(c.url("k1") + "/kapacitor/v1/write?db=db&rp=rp", content="where v=")
    assert r.status_code == 400
    out = subprocess.run(
        [sys.executable, "-m", "kapacitrio", "cluster", "status", "-url", c.url("k1")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 0, out.stderr
    assert all(name in out.stdout for name in NAMES)
    row = next(line for line in out.stdout.splitlines() if line.startswith(task_id))
    assert row.split()[1:4] == ["enabled", "k2", "k2"]  # status, instance, running on
    # a topic handler made on one instance is in force on the others within a second
    handler = {"id": "h1", "kind": "log", "options": {"path": "/tmp/kt-handler.log"}}
    r = c.http.post(c.url("k1") + "/kapacitor/v1/alerts/topics/shared/handlers", json=handler)
    assert r.status_code == 200, r.text
    start = time.monotonic()
    for other in ("k2", "k3"):
        url = c.url(other) + "/kapacitor/v1/alerts/topics/shared/handlers/h1"
        got = wait_until(lambda url=url: c.http.get(url).status_code == 200, 5, 0.02, "handler")
        assert got
    assert time.monotonic() - start < 1.0
    r = c.http.delete(c.url("k2") + "/kapacitor/v1/alerts/topics/shared/handlers/h1")
    assert r.status_code == 204
    url = c.url("k3") + "/kapacitor/v1/alerts/topics/shared/handlers/h1"
    wait_until(lambda: c.http.get(url).status_code == 404, 2, 0.02, "the handler gone on k3")
    assert c.http.delete(c.url("k3") + f"/kapacitor/v1/tasks/{task_id}").status_code == 204
    wait_until(lambda: task_id not in c.running("k2"), 10, what="the deleted task to stop")


def test_udp_and_loopback_reach_tasks_on_other_members(cluster: Cluster) -> None:
    c = cluster
    reader = task_owned_by("udpread", "k2")
    looper = task_owned_by("looper", "k3")
    looped = task_owned_by("looped", "k1")
    define(c, "k1", reader, "stream\n  |from()\n    .measurement('udpm')\n  |httpOut('last')\n")
    define(
        c,
        "k1",
        looper,
        "stream\n  |from()\n    .measurement('lbin')\n  |eval(lambda: \"v\" * 2.0)\n"
        "    .as('v')\n  |kapacitorLoopback()\n    .database('db2')\n"
        "    .retentionPolicy('rp')\n    .measurement('lbout')\n",
    )
    body = {
        "id": looped,
        "type": "stream",
        "dbrps": [{"db": "db2", "rp": "rp"}],
        "script": "stream\n  |from()\n    .measurement('lbout')\n  |httpOut('last')\n",
        "status": "enabled",
    }
    assert c.http.post(c.url("k1") + "/kapacitor/v1/tasks", json=body).status_code == 200
    owners = {reader: "k2", looper: "k3", looped: "k1"}
    wait_until(lambda: all(c.running("k1").get(t) == [o] for t, o in owners.items()), 15)
    # a datagram to k1 reaches the task on k2
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(b"udpm v=7 1", (c.lab.hosts["k1"].ip, UDP_PORT))

    def last(task_id: str) -> list | None:
        r = c.http.get(c.url("k3") + f"/kapacitor/v1/tasks/{task_id}/last")
        series = r.json().get("series") if r.status_code == 200 else None
        return series[0]["values"] if series else None

    assert wait_until(lambda: last(reader), 10, what="the UDP point on k2") == [
        ["1970-01-01T00:00:00.000000001Z", 7.0]
    ]
    # k3's loopback writes through the cluster, so the task on k1 reads them
    r = c.http.post(c.url("k2") + "/kapacitor/v1/write?db=db&rp=rp", content="lbin v=21 2")
    assert r.status_code == 204
    assert wait_until(lambda: last(looped), 10, what="the looped point on k1") == [
        ["1970-01-01T00:00:00.000000002Z", 42.0]
    ]
    for t in owners:
        assert c.http.delete(c.url("k1") + f"/kapacitor/v1/tasks/{t}").status_code == 204


def test_kill9_failover_loses_nothing(cluster: Cluster) -> None:
    c = cluster
    victim = "k2"
    seq_tasks = [task_owned_by("seq", n) for n in NAMES]
    lvl_task = task_owned_by("lvl", victim)
    count_task = task_owned_by("cnt", victim)
    for t in seq_tasks:
        define(c, "k1", t, seq_script(c.receiver.url, t))
    define(c, "k3", lvl_task, lvl_script(c.receiver.url, lvl_task))
    define(c, "k3", count_task, count_script(c.receiver.url, count_task))
    owners = {t: owner_of(t, NAMES) for t in [*seq_tasks, lvl_task, count_task]}
    wait_until(
        lambda: all(c.running("k1").get(t) == [o] for t, o in owners.items()),
        15,
        what="every task on its owner",
    )
    with Writer(c, NAMES) as writer:
        wait_until(lambda: c.receiver.get(f"/lvl/{lvl_task}"), 10, what="the first CRITICAL")
        time.sleep(1.0)  # past a checkpoint
        c.procs[victim].kill()
        killed = time.monotonic()
        args = {"pattern": lvl_task, "fields": ["error", "executing"]}
        listed = c.http.get(c.url("k1") + "/kapacitor/v1/tasks", params=args).json()
        assert list(listed["cluster"]["unreachable"]) == [victim]  # within the lease: still its
        assert not listed["tasks"][0]["executing"] and victim in listed["tasks"][0]["error"]
        survivors = [n for n in NAMES if n != victim]
        writer.targets = survivors

        def moved() -> bool:
            running = c.running("k1")
            return all(len(running.get(t, [])) == 1 and running[t][0] in survivors for t in owners)

        wait_until(moved, 20, 0.05, "the victim's tasks to run elsewhere")
        failover = time.monotonic() - killed
        time.sleep(1.5)
    print(f"failover {failover:.2f}s, {len(writer.acked)} points acknowledged")
    assert failover < 4 * 2.0 + 2  # a few leases
    for t in seq_tasks:
        with contextlib.suppress(AssertionError):
            wait_until(lambda t=t: not missing(c, t, writer.acked), 20, 0.2, "every point")
    lost = {t: sorted(missing(c, t, writer.acked)) for t in seq_tasks}
    print(f"lost: { {t: len(v) for t, v in lost.items()} } of {len(writer.acked)}: {lost}")
    assert sum(map(len, lost.values())) == 0
    r = c.http.post(c.url("k1") + "/kapacitor/v1/write?db=db&rp=rp", content="lvl v=1")
    assert r.status_code == 204
    posts = wait_until(
        lambda: (p := c.receiver.get(f"/lvl/{lvl_task}")) and p[-1]["level"] == "OK" and p,
        10,
        what="the recovery",
    )
    levels = [p["level"] for p in posts]
    print(f"lvl events after failover: {levels}")
    assert levels == ["CRITICAL", "OK"]  # the moved task knew it was CRITICAL already
    # count()'s state moved with its task: it went on from the checkpoint (a replay repeats the
    # counts after it, and nothing restarts from 1)
    lvl_points = (len(writer.acked) // 10) + 1  # one per acknowledged batch, and the recovery
    counts = wait_until(
        lambda: (
            (n := [int(p["message"]) for p in c.receiver.get(f"/cnt/{count_task}")])
            and max(n) >= lvl_points
            and n
        ),
        10,
        what="every lvl point counted",
    )
    print(f"count() after failover: max {max(counts)} of {lvl_points} points, {len(counts)} posts")
    assert counts.count(1) == 1 and sorted(set(counts)) == list(range(1, max(counts) + 1))
    survivors = [n for n in NAMES if n != victim]

    def topic_views() -> list:
        views = []
        for n in survivors:
            base = c.url(n) + "/kapacitor/v1/alerts/topics"
            topics = [t for t in c.http.get(base).json()["topics"] if lvl_task in t["id"]]
            events = [c.http.get(base + f"/{t['id']}/events").json() for t in topics]
            views.append((topics, events))
        return views

    views = wait_until(  # every member shows the moved task's topic, events and count alike
        lambda: (v := topic_views()) and v[0][0] and all(x == v[0] for x in v) and v, 3, 0.1
    )
    topic, events = views[0][0][0], views[0][1][0]["events"]
    assert topic["level"] == "OK" and topic["collected"] >= 1
    assert [e["state"]["level"] for e in events] == ["OK"]
    # the victim comes back and gets its tasks back, still without loss
    c.start(victim)
    wait_until(
        lambda: all(c.running("k1").get(t) == [o] for t, o in owners.items()),
        30,
        0.2,
        "the tasks back on their owners",
    )


def test_partition_and_heal(cluster: Cluster, request: pytest.FixtureRequest) -> None:
    c = cluster
    cut = "k3"
    task = task_owned_by("part", cut)
    define(c, "k1", task, seq_script(c.receiver.url, task))
    wait_until(lambda: c.running("k1").get(task) == [cut], 20, what="the task on k3")
    with Writer(c, ["k1", "k2"]) as writer:
        time.sleep(0.5)
        c.lab.cut(cut, c.nats_ips)
        request.addfinalizer(lambda: c.lab.heal(cut, c.nats_ips))  # whatever happens below
        started = time.monotonic()
        wait_until(
            lambda: (r := c.running("k1").get(task)) and r[0] in ("k1", "k2"),
            20,
            0.05,
            "the task to leave the cut-off instance",
        )
        moved = time.monotonic() - started
        st = wait_until(lambda: (s := c.status(cut)) and s["fenced"] and s, 10, what="fencing")
        assert st["nats-connected"] is False or st["fenced"]
        assert all(m["name"] != cut for m in st["members"])  # it counts itself out
        url = c.url(cut) + f"/kapacitor/v1/tasks/{task}"
        wait_until(  # it answers with the new owner's view
            lambda: c.http.get(url).json()["cluster"]["instance"] in ("k1", "k2"), 5, 0.1, "view"
        )
        r = c.http.post(c.url(cut) + "/kapacitor/v1/write?db=db&rp=rp", content="seq,n=-1 v=1")
        assert r.status_code == 503  # it cannot store writes, and says so
        time.sleep(0.5)
        c.lab.heal(cut, c.nats_ips)
        wait_until(lambda: c.running("k1").get(task) == [cut], 30, 0.1, "the task back on k3")
        time.sleep(1.0)
    print(f"partition: task moved after {moved:.2f}s")
    wait_until(lambda: not missing(c, task, writer.acked), 20, 0.2, "every acknowledged point")
    assert len(writer.acked) > 100


def test_kkok_pool_runs_on_one_leader(cluster: Cluster) -> None:
    c = cluster
    # every member names the same one (a member back from the partition may take a round)
    wait_until(
        lambda: (
            len(ls := {(c.status(n) or {}).get("kkok-leader") for n in NAMES}) == 1
            and ls <= set(NAMES)
        ),
        10,
        0.1,
        "one kkok leader named by every member",
    )
    route = [{"type": "post", "url": f"{c.receiver.url}/kkok"}]
    assert c.http.put(c.url("k1") + "/routes/rcv", json=route).status_code == 200
    flt = {"type": "route", "routes": ["rcv"]}
    assert c.http.put(c.url("k2") + "/filters/all", json=flt).status_code == 200
    wait_until(
        lambda: all(c.http.get(c.url(n) + "/filters").json() == ["all"] for n in NAMES),
        2,
        0.05,
        "the filter everywhere",
    )
    for n in NAMES:  # an alert posted to each member
        r = c.http.post(c.url(n) + "/alerts", json={"From": "t", "Title": f"from {n}"})
        assert r.status_code == 200, r.text
    wait_until(lambda: len(c.receiver.get("/kkok")) >= 3, 15, 0.1, "the three alerts")
    wait_until(
        lambda: all(c.http.get(c.url(n) + "/alerts").json() == [] for n in NAMES),
        5,
        0.1,
        "every member's pool empty",
    )
    time.sleep(2.5)  # two more rounds: a member that pooled an alert itself must not send it too
    titles = sorted(p["message"] for p in c.receiver.get("/kkok"))
    assert titles == ["from k1", "from k2", "from k3"]  # each once, whoever pooled it


def test_clean_stop_hands_over_at_once(cluster: Cluster) -> None:
    c = cluster
    leaving = "k3"
    task = task_owned_by("stop", leaving)
    define(c, "k1", task, seq_script(c.receiver.url, task))
    wait_until(lambda: c.running("k1").get(task) == [leaving], 20, what="the task on k3")
    with Writer(c, ["k1", "k2"]) as writer:
        time.sleep(0.5)
        proc = c.procs[leaving]
        proc.terminate()
        started = time.monotonic()
        wait_until(
            lambda: (r := c.running("k1").get(task)) and r[0] in ("k1", "k2"),
            10,
            0.05,
            "the task to move",
        )
        moved = time.monotonic() - started
        assert proc.wait(timeout=20) == 0
        time.sleep(0.5)
    print(f"clean stop: task moved after {moved:.2f}s")
    assert moved < 8.0  # drained, checkpointed, then gone
    with contextlib.suppress(AssertionError):
        wait_until(lambda: not missing(c, task, writer.acked), 20, 0.2, "every point")
    lost = sorted(missing(c, task, writer.acked))
    assert not lost, f"{len(lost)} of {len(writer.acked)} lost: {lost}"
    c.start(leaving)
    wait_until(lambda: c.running("k1").get(task) == [leaving], 30, 0.1, "the task back on k3")
