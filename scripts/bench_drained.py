"""The drained write benchmark: a write counts only once every task's last node has processed it.

Each cell starts a fresh `kapacitrio serve` and a fresh `influxd`, defines its tasks over the API and
then runs rounds that alternate between the two on identical fresh bodies. A kapacitrio round posts
its bodies to `/write` and then polls the task stats until, in every task, the anchor node (the
first node that sees every point meant for the task, e.g. `alert2`) has collected all of them and
every node after the root has collected exactly what its parents emitted; only then does the clock
stop. An InfluxDB round stops at its last 204 (InfluxDB has then stored the points). Each figure is
the median over the rounds.
"""

from __future__ import annotations

import contextlib
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from bench_procs import Server, influxdb_server, kapacitrio_server
from bench_workload import ANCHORS, BodyMaker, Counts, TaskDef

from kapacitrio.pipeline.build import compile_task

WRITE_PARAMS = {"db": "bench", "rp": "autogen"}
DRAIN_TIMEOUT_S = 900.0
#: Bodies a round posts at most: enough for about 2 s of kapacitrio time at 1M points/s.
MAX_BODIES = 400


@dataclass
class CellSpec:
    """A benchmark cell: a name, its tasks, which of them to watch, and whether bodies pair up."""

    name: str
    tasks: list[TaskDef]
    watch: list[TaskDef]
    join: bool = False
    note: str = ""


def cells() -> dict[str, CellSpec]:
    """Every cell by name (the command line picks some)."""

    def same(kind: str, n: int) -> list[TaskDef]:
        return [TaskDef(f"{kind.lower()}_{i}", kind) for i in range(n)]

    def filtered(n: int) -> list[TaskDef]:
        return [TaskDef(f"filtered_{i}", "Filtered", host=f"server{i:03d}") for i in range(n)]

    others = [TaskDef(f"other_{i}", "Simple", measurement="other") for i in range(1000)]
    match = TaskDef("match_0", "Simple")
    return {
        "Simple x1": CellSpec("Simple x1", same("Simple", 1), same("Simple", 1)),
        "Alert x10": CellSpec("Alert x10", same("Alert", 10), same("Alert", 10)),
        "Count x100": CellSpec("Count x100", same("Count", 100), same("Count", 100)),
        "Join x10": CellSpec("Join x10", same("Join", 10), same("Join", 10), join=True),
        "1000 other + 1": CellSpec("1000 other + 1", [*others, match], [match]),
        "Filtered x1": CellSpec("Filtered x1", filtered(1), filtered(1)),
        "Filtered x100": CellSpec("Filtered x100", filtered(100), filtered(100)),
    }


@dataclass
class CellResult:
    name: str
    tasks: int
    points: int
    bodies: int
    kapacitrio: list[float] = field(default_factory=list)
    influxdb: list[float] = field(default_factory=list)
    before: list[float] = field(default_factory=list)
    #: Rates of a second cell's tasks on a server of their own, in the same rounds (`beside`).
    beside: list[float] = field(default_factory=list)

    @property
    def k_median(self) -> float:
        return statistics.median(self.kapacitrio)

    @property
    def i_median(self) -> float:
        return statistics.median(self.influxdb)

    @property
    def ratio(self) -> float:
        return self.k_median / self.i_median


def define_tasks(client: httpx.Client, server: Server, tasks: list[TaskDef]) -> None:
    """Define and enable every task; any refusal stops the benchmark."""
    for task in tasks:
        r = client.post(
            f"{server.url}/kapacitor/v1/tasks",
            json={
                "id": task.id,
                "type": "stream",
                "dbrps": [{"db": "bench", "rp": "autogen"}],
                "script": task.script,
                "status": "enabled",
            },
        )
        if r.status_code != 200:
            raise RuntimeError(f"defining {task.id} failed: {r.status_code} {r.text}")


class Drain:
    """Knows what every watched task must have processed and asks the server whether it has."""

    def __init__(self, server: Server, watch: list[TaskDef]) -> None:
        self.server = server
        self.watch = {t.id: t for t in watch}
        self.parents: dict[str, dict[str, list[str]]] = {}
        for t in watch:
            pipeline = compile_task(t.script, "stream")
            self.parents[t.id] = {n.name: [p.name for p in n.parents] for n in pipeline.nodes}
        prefixes = {t.id.rsplit("_", 1)[0] for t in watch}
        self.patterns = [f"{p}_*" for p in sorted(prefixes)]
        self.sent = Counts()

    def stats(self, client: httpx.Client) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for pattern in self.patterns:
            r = client.get(
                f"{self.server.url}/kapacitor/v1/tasks",
                params={
                    "pattern": pattern,
                    "fields": ["stats", "error", "executing"],
                    "limit": 100000,
                },
            )
            r.raise_for_status()
            for task in r.json()["tasks"]:
                if task["id"] in self.watch:
                    if task.get("error") or not task.get("executing"):
                        raise RuntimeError(f"task {task['id']} stopped: {task.get('error')!r}")
                    out[task["id"]] = task["stats"].get("node-stats", {})
        return out

    def drained(self, client: httpx.Client) -> bool:
        stats = self.stats(client)
        for task_id, task in self.watch.items():
            nodes = stats.get(task_id)
            if nodes is None:
                return False
            anchor = ANCHORS[task.kind]
            want = task.expected(self.sent)
            got = nodes[anchor]["collected"]
            if got > want:
                raise RuntimeError(f"{task_id}: {anchor} collected {got} > {want} points sent")
            if got < want:
                return False
            for name, parents in self.parents[task_id].items():
                if parents and nodes[name]["collected"] != sum(
                    nodes[p]["emitted"] for p in parents
                ):
                    return False
        return True

    def wait(self, client: httpx.Client, since: float) -> float:
        """Poll until drained; returns the time of the answer that said so. The poll interval
        grows with the round (2% of it) so that polling neither steals the server's time nor
        overshoots the end by much."""
        while True:
            done = self.drained(client)
            now = time.perf_counter()
            if done:
                return now
            if now - since > DRAIN_TIMEOUT_S:
                raise RuntimeError(f"not drained after {DRAIN_TIMEOUT_S:.0f} s")
            time.sleep(max(0.005, 0.02 * (now - since)))


def post_all(client: httpx.Client, url: str, params: dict[str, str], bodies: list[bytes]) -> None:
    for body in bodies:
        r = client.post(url, params=params, content=body)
        if r.status_code != 204:
            raise RuntimeError(f"{url}: {r.status_code} {r.text[:200]}")


def kapacitrio_round(
    client: httpx.Client, drain: Drain, bodies: list[bytes], counts: Counts
) -> float:
    drain.sent.add(counts)
    t0 = time.perf_counter()
    post_all(client, f"{drain.server.url}/write", WRITE_PARAMS, bodies)
    t1 = drain.wait(client, t0)
    return counts.points / (t1 - t0)


def influxdb_round(
    client: httpx.Client, influx: Server, bodies: list[bytes], counts: Counts
) -> float:
    t0 = time.perf_counter()
    post_all(client, f"{influx.url}/write", {"db": "bench"}, bodies)
    return counts.points / (time.perf_counter() - t0)


def run_cell(
    spec: CellSpec,
    rounds: int,
    points: int,
    target_s: float,
    log: Any,
    before: str | None = None,
    beside: CellSpec | None = None,
) -> CellResult:
    """Warm up, size the rounds to about `target_s` of kapacitrio time, then alternate rounds.

    With `before` (a checkout of an older kapacitrio) its server, and with `beside` (another
    cell, with the same kind of bodies) a server with that cell's tasks, join the rotation: every
    round posts the same bodies to each, so they compare at one moment of the machine."""
    maker = BodyMaker(join=spec.join)
    result = CellResult(spec.name, len(spec.tasks), points, 0)
    systems = [(None, spec, result.kapacitrio)]  # (checkout, tasks, where its rates go)
    if before is not None:
        systems.append((before, spec, result.before))
    if beside is not None:
        systems.append((None, beside, result.beside))
    with contextlib.ExitStack() as stack:
        influx = stack.enter_context(influxdb_server())
        client = stack.enter_context(httpx.Client(timeout=DRAIN_TIMEOUT_S))
        runs: list[tuple[list[float], Any]] = [
            (result.influxdb, lambda b, c: influxdb_round(client, influx, b, c))
        ]
        for source, tasks_of, out in systems:
            kap = stack.enter_context(kapacitrio_server(source))
            t0 = time.perf_counter()
            define_tasks(client, kap, tasks_of.tasks)
            log(
                f"  {tasks_of.name}: {len(tasks_of.tasks)} tasks defined in "
                f"{time.perf_counter() - t0:.1f} s"
            )
            drain = Drain(kap, tasks_of.watch)
            runs.append((out, lambda b, c, d=drain: kapacitrio_round(client, d, b, c)))
        bodies, counts = maker.bodies(2, points)  # warm-up, also sizes the rounds
        warm = [fn(bodies, counts) for _, fn in runs][1]
        n = result.bodies = max(2, min(MAX_BODIES, round(target_s * warm / points)))
        for r in range(rounds):
            bodies, counts = maker.bodies(n, points)
            k = r % len(runs)
            for out, fn in runs[k:] + runs[:k]:  # each system takes its turn going first
                out.append(fn(bodies, counts))
            extra = f", before {result.before[-1]:,.0f} p/s" if result.before else ""
            if result.beside:
                extra += f", {beside.name} {result.beside[-1]:,.0f} p/s"  # type: ignore[union-attr]
            log(
                f"  {spec.name} round {r + 1}: kapacitrio {result.kapacitrio[-1]:,.0f} p/s, "
                f"InfluxDB {result.influxdb[-1]:,.0f} p/s{extra} ({n} bodies)"
            )
    return result


HEADER = (
    "| cell | tasks | bodies x points | kapacitrio p/s | InfluxDB p/s | ratio |\n"
    "| --- | ---: | ---: | ---: | ---: | ---: |"
)


COMPARE_HEADER = (
    "| cell | tasks | bodies x points | kapacitrio p/s | InfluxDB p/s | ratio | before p/s | "
    "after / before |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
)


def row(r: CellResult) -> str:
    text = (
        f"| {r.name} | {r.tasks} | {r.bodies} x {r.points} | {r.k_median:,.0f} | "
        f"{r.i_median:,.0f} | {r.ratio:.3f} |"
    )
    if r.before:
        b = statistics.median(r.before)
        text += f" {b:,.0f} | {r.k_median / b:.1f} |"
    return text


#: The issue's relative targets: (numerator cell, denominator cell).
RELATIONS = [("1000 other + 1", "Simple x1"), ("Filtered x100", "Filtered x1")]


def relations(results: dict[str, CellResult]) -> list[str]:
    """The issue's relative targets, where both cells ran: kapacitrio's rates divided, and
    their ratios to InfluxDB divided (the cells run at different moments of a shared machine;
    InfluxDB, run in the same rounds, takes out how busy the machine was at each)."""
    out = []
    for a, b in RELATIONS:
        if a in results and b in results:
            ra, rb = results[a], results[b]
            out.append(
                f"{a} / {b}: {ra.k_median / rb.k_median:.2f} "
                f"(as ratios to InfluxDB: {ra.ratio / rb.ratio:.2f})"
            )
    return out


def paired_relations(
    rounds: int, points: int, target_s: float, log: Any
) -> list[tuple[str, CellResult]]:
    """Each relative target with both cells in the same rounds (the numerator `beside` the
    denominator): `(line, result)`; the line is the quotient of their median rates."""
    specs = cells()
    out = []
    for a, b in RELATIONS:
        res = run_cell(specs[b], rounds, points, target_s, log, beside=specs[a])
        quotient = statistics.median(res.beside) / res.k_median
        out.append((f"{a} / {b}, in the same rounds: {quotient:.2f}", res))
    return out
