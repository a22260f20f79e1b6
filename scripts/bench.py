"""Benchmarks of kapacitrio, one sub-command each (`lambda`: compiled lambda evaluations per second)."""

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
    try:
        import bench_http
    except ImportError:
        pass
    else:
        bench_http.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run = getattr(args, "run", None) or args.func
    return int(run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
