"""`kapacitrio test CASE.json ...`: run conformance case files in-process and report each case."""

from __future__ import annotations

import argparse
import glob
import os
import sys

import structlog
import trio

from kapacitrio.casetest.runner import CaseOutcome, run_file


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    p = subparsers.add_parser(
        name, help="run conformance case files (stream, batch or tick corpus) in-process"
    )
    p.add_argument(
        "paths", nargs="+", metavar="CASE.json", help="case files or directories of them"
    )
    p.add_argument("-k", dest="substring", default="", help="only cases whose name contains this")
    p.add_argument("-q", "--quiet", action="store_true", help="print only failures and the total")
    p.add_argument(
        "--timeout",
        type=float,
        default=5.0,
        help="seconds to wait for a case's outputs (default 5)",
    )
    p.set_defaults(run=run)


def _expand(paths: list[str]) -> list[str]:
    files: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            files.extend(sorted(glob.glob(os.path.join(path, "*.json"))))
        else:
            files.append(path)
    return files


async def _run_all(
    files: list[str], substring: str, quiet: bool, timeout: float
) -> tuple[int, int]:
    passed = failed = 0
    for path in files:
        try:
            outcomes = await run_file(path, name_filter=substring, timeout=timeout)
        except (OSError, ValueError) as exc:
            outcomes = [CaseOutcome(path, False, f"cannot read: {exc}")]
        for o in outcomes:
            if o.passed:
                passed += 1
                if not quiet:
                    print(f"PASS {o.name}", flush=True)
            else:
                failed += 1
                print(f"FAIL {o.name}: {o.reason}", flush=True)
    return passed, failed


def run(args: argparse.Namespace) -> int:
    # Task logs (node errors, log nodes) go to stderr so stdout holds only the verdicts.
    saved = structlog.get_config()
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    try:
        passed, failed = trio.run(
            _run_all, _expand(args.paths), args.substring, args.quiet, args.timeout
        )
    finally:
        structlog.configure(**saved)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1
