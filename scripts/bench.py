"""Benchmarks of kapacitrio: `drained` (writes processed per second beside InfluxDB, memory per
buffered point, alert latency) and `lambda` (compiled lambda evaluations per second)."""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

DEFAULT_EXPR = '"value" > 10.0 AND "host" == \'serverA\''


def make_points(n: int, seed: int) -> list[tuple[int, dict, dict]]:
    """`n` points with a float `value` around 10 and a `host` tag of one of four servers."""
    rng = random.Random(seed)
    hosts = ["serverA", "serverB", "serverC", "serverD"]
    distinct = [
        (i * 1_000_000_000, {"value": rng.uniform(0.0, 20.0)}, {"host": rng.choice(hosts)})
        for i in range(min(n, 10_000))
    ]
    return [distinct[i % len(distinct)] for i in range(n)]


def run_lambda(args: argparse.Namespace) -> int:
    from kapacitrio.tick.lambdas import compile_expression
    from kapacitrio.tick.parser import parse_expression

    points = make_points(args.points, args.seed)
    started = time.perf_counter()
    expr = compile_expression(parse_expression(args.expr))
    compile_ms = (time.perf_counter() - started) * 1000
    best = best_cpu = 0.0
    matched = 0
    for _ in range(args.repeat):
        evaluate = expr.instance().eval_bool
        matched = 0
        t0, c0 = time.perf_counter(), time.thread_time()
        for t, fields, tags in points:
            if evaluate(t, fields, tags):
                matched += 1
        elapsed, cpu = time.perf_counter() - t0, time.thread_time() - c0
        best = max(best, len(points) / elapsed)
        best_cpu = max(best_cpu, len(points) / cpu)
    print(f"expression: {args.expr}")
    print(f"compiled in {compile_ms:.2f} ms; {len(points)} points, {matched} matched")
    print(f"python {sys.version.split()[0]}, best of {args.repeat} runs")
    print(f"{best_cpu:,.0f} evaluations per CPU second (this thread's CPU time)")
    print(f"{best:,.0f} evaluations/s")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("lambda", help="evaluations per second of one compiled lambda")
    p.add_argument("--expr", default=DEFAULT_EXPR, help="lambda body (without `lambda:`)")
    p.add_argument("--points", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(run=run_lambda)
    add_drained_parser(sub)
    return parser


def add_drained_parser(sub: argparse._SubParsersAction) -> None:
    from bench_drained import cells

    p = sub.add_parser(
        "drained",
        help="processed points/s of each cell beside InfluxDB, memory per point, alert latency",
    )
    p.add_argument(
        "--quick", action="store_true", help="1 round, shorter rounds, 200k-point memory cell"
    )
    p.add_argument("--cells", default=",".join(cells()), help="comma-separated cell names")
    p.add_argument("--rounds", type=int, help="alternating rounds per cell (default 3; quick 1)")
    p.add_argument("--points", type=int, default=5000, help="points per body")
    p.add_argument("--seconds", type=float, help="kapacitrio time per round (default 2; quick 0.7)")
    p.add_argument("--memory-points", type=int, help="points buffered (default 1M; quick 200k)")
    p.add_argument("--probes", type=int, help="latency probes per load (default 300; quick 100)")
    p.add_argument("--latency-load", default="Simple", help="task kind under the latency load")
    p.add_argument("--no-memory", action="store_true")
    p.add_argument("--no-latency", action="store_true")
    p.add_argument(
        "--paired",
        action="store_true",
        help="also run each relative target's two cells in the same rounds (a server each)",
    )
    p.add_argument("--json", help="also write the results to this file")
    p.add_argument(
        "--compare",
        metavar="DIR",
        help="another kapacitrio checkout (e.g. a `git worktree` of an older commit) run in the "
        "same rounds, for before/after figures",
    )
    p.set_defaults(run=run_drained)


def run_drained(args: argparse.Namespace) -> int:
    import json
    import platform
    import subprocess

    import bench_drained
    from bench_latency import HEADER as LATENCY_HEADER
    from bench_latency import run_latency
    from bench_memory import run_memory

    quick = args.quick
    rounds = args.rounds or (1 if quick else 3)
    seconds = args.seconds or (0.7 if quick else 2.0)
    specs = bench_drained.cells()
    names = [c.strip() for c in args.cells.split(",") if c.strip()]
    unknown = [n for n in names if n not in specs]
    if unknown:
        print(f"unknown cells: {unknown}; known: {list(specs)}", file=sys.stderr)
        return 2

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    log(f"commit {commit}, python {platform.python_version()}, {rounds} round(s) per cell")
    results = {}
    for name in names:
        results[name] = bench_drained.run_cell(
            specs[name], rounds, args.points, seconds, log, before=args.compare
        )
    print(bench_drained.COMPARE_HEADER if args.compare else bench_drained.HEADER)
    for r in results.values():
        print(bench_drained.row(r))
    for line in bench_drained.relations(results):
        print(line)
    out: dict = {
        "commit": commit,
        "rounds": rounds,
        "cells": {
            n: {
                "kapacitrio": r.kapacitrio,
                "influxdb": r.influxdb,
                "bodies": r.bodies,
                "tasks": r.tasks,
            }
            for n, r in results.items()
        },
    }
    if args.paired:
        out["paired"] = {}
        for line, res in bench_drained.paired_relations(rounds, args.points, seconds, log):
            print(line)
            out["paired"][line] = {"denominator": res.kapacitrio, "numerator": res.beside}
    if not args.no_memory:
        mem = run_memory(args.memory_points or (200_000 if quick else 1_000_000), args.points, log)
        print(mem.line())
        out["memory"] = {"points": mem.points, "bytes_per_point": mem.per_point}
    if not args.no_latency:
        probes = args.probes or (100 if quick else 300)
        max_rate, lat = run_latency(probes, args.points, seconds, args.latency_load, log)
        print(f"latency load: {args.latency_load} x1, drained maximum {max_rate:,.0f} p/s")
        print(LATENCY_HEADER)
        for r in lat:
            print(r.row())
        out["latency"] = {"max_rate": max_rate, "results": [vars(r) for r in lat]}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run = getattr(args, "run", None) or args.func
    return int(run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
