"""Machine instructions the tasks add to a parsed body, counted by valgrind: KIND N [--dir=DIR].

Timings on a shared machine swing by a quarter from minute to minute; an instruction count moves
by about 10% at most (timers fire more or less often as valgrind runs slower or faster), so it
settles whether a change to the per-task path made it much cheaper. It does not show cache misses,
which also grow with the number of tasks. The body is parsed beforehand, as in
`prof_deliver.py`: the figure is routing, the inline heads and the node coroutines, drained. Two
runs under `valgrind --tool=callgrind` deliver 0 and `RUNS` bodies after the same setup; their
difference over `RUNS` is the count per body. `--dir` runs another checkout's code (e.g. a
`git worktree` of an older commit) for a before/after figure. Needs valgrind (`apt install
valgrind`); takes a minute or two.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

RUNS = 10
WARM_UP = 2


def count(directory: Path, kind: str, n: int, bodies: int) -> int:
    """Instructions of one run that delivers `bodies` bodies after `WARM_UP`."""
    proc = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            str(Path(__file__).resolve()),
            "--inner",
            kind,
            str(n),
            str(bodies),
        ],
        cwd=directory,
        env=dict(os.environ, PYTHONHASHSEED="0"),
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"Collected : ([\d,]+)", proc.stderr)
    if found is None:
        raise SystemExit(f"no instruction count in valgrind's output:\n{proc.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


async def inner(kind: str, n: int, bodies: int) -> None:
    """The measured program: N tasks, `WARM_UP + RUNS` bodies parsed, `WARM_UP + bodies` delivered
    (drained by channel only, without waiting for every task to block: fewer instructions)."""
    sys.path.insert(0, str(Path.cwd()))
    sys.path.insert(0, str(Path.cwd() / "scripts"))
    from prof_deliver import deliver, parsed_bodies, start_tasks
    from prof_ratio import drained

    from kapacitrio.engine.clock import WallClock
    from kapacitrio.engine.taskmaster import open_taskmaster

    async with open_taskmaster(WallClock()) as tm:
        await start_tasks(tm, kind, n)
        for chunk in parsed_bodies(kind, WARM_UP + RUNS, 5000)[: WARM_UP + bodies]:
            await deliver(tm, chunk)
            await drained(tm)


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if "--inner" in sys.argv:
        import trio

        trio._core._run._r.seed(0)  # the scheduler's batch shuffling: the same order each run
        trio.run(inner, args[0], int(args[1]), int(args[2]))
        return
    opts = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--") and "=" in a)
    directory = Path(opts.get("dir", Path(__file__).resolve().parents[1]))
    kind, n = args[0], int(args[1])
    per_body = (count(directory, kind, n, RUNS) - count(directory, kind, n, 0)) / RUNS
    print(f"{kind} x{n} ({directory}): {per_body / 1e6:.2f} M instructions per body")


if __name__ == "__main__":
    main()
