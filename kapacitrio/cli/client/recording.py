"""`record stream|batch|query`, `replay` and `replay-live batch|query`: recordings and replays."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from kapacitrio.cli.client.http import Client, ClientError, add_url_flag, connect, guarded, q
from kapacitrio.tick.values import parse_decimal_duration

POLL_MAX = 0.5


def parse_duration(text: str) -> timedelta:
    """`90s`, `1h30m`, `2d` as a timedelta (a bare number is not a duration)."""
    try:
        ns = parse_decimal_duration(text)
    except ValueError:
        raise ClientError(f"invalid duration {text!r}") from None
    return timedelta(microseconds=ns / 1_000)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    if name == "record":
        _record_parser(subparsers, name)
    elif name == "replay":
        p = subparsers.add_parser(name, help="replay a recording against a task")
        add_url_flag(p)
        p.add_argument("-task", dest="task", default="", metavar="ID")
        p.add_argument("-recording", dest="recording", default="", metavar="ID")
        p.add_argument("-replay-id", dest="replay_id", default="", metavar="ID")
        _replay_flags(p)
        p.set_defaults(run=guarded(run_replay))
    else:
        _replay_live_parser(subparsers, name)


def _wait_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("-no-wait", dest="no_wait", action="store_true", help="do not wait to finish")


def _replay_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-real-clock", dest="real_clock", action="store_true", help="replay in real time"
    )
    p.add_argument("-rec-time", dest="rec_time", action="store_true", help="keep recorded times")
    _wait_flag(p)


def _record_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    p = subparsers.add_parser(name, help="record data for later replays (stream, batch or query)")
    kinds = p.add_subparsers(dest="kind", required=True)
    stream = kinds.add_parser("stream", help="record a stream task's incoming data")
    stream.add_argument("-task", dest="task", default="", metavar="ID")
    stream.add_argument("-duration", dest="duration", default=None, help="how long, e.g. 1m")
    stream.add_argument("-stop", dest="stop", default=None, help="until this RFC3339 time")
    batch = kinds.add_parser("batch", help="record the results of a batch task's queries")
    batch.add_argument("-task", dest="task", default="", metavar="ID")
    _range_flags(batch)
    query = kinds.add_parser("query", help="record the result of a query")
    query.add_argument("-query", dest="query", default="")
    query.add_argument("-type", dest="type", default="", choices=("stream", "batch"))
    query.add_argument("-cluster", dest="cluster", default="")
    for sub in (stream, batch, query):
        add_url_flag(sub)
        sub.add_argument("-recording-id", dest="recording_id", default="", metavar="ID")
        _wait_flag(sub)
        sub.set_defaults(run=guarded(run_record))


def _range_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("-start", dest="start", default=None, help="RFC3339 start time")
    p.add_argument("-stop", dest="stop", default=None, help="RFC3339 stop time (default: now)")
    p.add_argument("-past", dest="past", default=None, help="start this long ago, e.g. 1h")


def _replay_live_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    p = subparsers.add_parser(name, help="replay a batch task's queries or a query, unrecorded")
    kinds = p.add_subparsers(dest="kind", required=True)
    batch = kinds.add_parser("batch", help="replay the results of a batch task's queries")
    _range_flags(batch)
    query = kinds.add_parser("query", help="replay the result of a query")
    query.add_argument("-query", dest="query", default="")
    query.add_argument("-cluster", dest="cluster", default="")
    for sub in (batch, query):
        add_url_flag(sub)
        sub.add_argument("-task", dest="task", default="", metavar="ID")
        sub.add_argument("-replay-id", dest="replay_id", default="", metavar="ID")
        _replay_flags(sub)
        sub.set_defaults(run=guarded(run_replay_live))


def _range(args: argparse.Namespace) -> dict[str, str]:
    """-start/-past and -stop, checked with Kapacitor's messages."""
    if not args.task:
        raise ClientError("task is required")
    if not args.past and not args.start:
        raise ClientError("must set one of start or past flags.")
    if args.past and args.start:
        raise ClientError("cannot set both start and past flags.")
    body: dict[str, str] = {}
    if args.past:
        body["start"] = rfc3339(datetime.now(UTC) - parse_duration(args.past))
    else:
        body["start"] = args.start
    if args.stop:
        body["stop"] = args.stop
    return body


def record_body(args: argparse.Namespace) -> dict[str, Any]:
    body: dict[str, Any] = {"id": args.recording_id} if args.recording_id else {}
    if args.kind == "stream":
        if not args.task or bool(args.duration) == bool(args.stop):
            # -stop is this client's addition; Kapacitor knows only -duration
            raise ClientError("both task and duration are required")
        body["task"] = args.task
        if args.duration:
            body["stop"] = rfc3339(datetime.now(UTC) + parse_duration(args.duration))
        else:
            body["stop"] = args.stop
    elif args.kind == "batch":
        body.update({"task": args.task, **_range(args)})
    else:
        if not args.query or not args.type:
            raise ClientError("both query and type are required")
        body.update({"query": args.query, "type": args.type, "cluster": args.cluster})
    return body


def run_record(args: argparse.Namespace) -> int:
    body = record_body(args)
    with connect(args) as client:
        rec = client.post(f"recordings/{args.kind}", body)
        if not args.no_wait:
            rec = wait(client, f"recordings/{q(rec['id'])}", "recording")
            _check(rec, "recording")
    print(rec["id"])
    return 0


def _replay_opts(args: argparse.Namespace) -> dict[str, Any]:
    body: dict[str, Any] = {"id": args.replay_id} if args.replay_id else {}
    body.update(
        {
            "task": args.task,
            "clock": "real" if args.real_clock else "fast",
            "recording-time": bool(args.rec_time),
        }
    )
    return body


def run_replay(args: argparse.Namespace) -> int:
    if not args.recording:
        raise ClientError("must pass recording ID")
    if not args.task:
        raise ClientError("must pass task ID")
    return _start_replay(args, "replays", {**_replay_opts(args), "recording": args.recording})


def run_replay_live(args: argparse.Namespace) -> int:
    body = _replay_opts(args)
    if args.kind == "batch":
        body.update(_range(args))
    else:
        if not args.query or not args.task:
            raise ClientError("both query and task are required")
        body.update({"query": args.query, "cluster": args.cluster})
    return _start_replay(args, f"replays/{args.kind}", body)


def _start_replay(args: argparse.Namespace, path: str, body: dict[str, Any]) -> int:
    with connect(args) as client:
        replay = client.post(path, body)
        if not args.no_wait:
            replay = wait(client, f"replays/{q(replay['id'])}", "replay")
            _check(replay, "replay")
    print(replay["id"])
    return 0


def progress_console() -> Console:
    """Where the progress bar goes: stderr, so stdout keeps only the ID scripts read."""
    return Console(file=sys.stderr)


def wait(client: Client, path: str, what: str = "recording") -> dict[str, Any]:
    """Poll a recording or replay until the server says it is no longer running (200, not 202).

    On a terminal a progress bar follows the server's `progress`; otherwise nothing is drawn.
    """
    console = progress_console()
    if not console.is_terminal:
        return _poll(client, path, None)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        job = bar.add_task(f"{what} {path.rsplit('/', 1)[-1]}", total=1.0)
        return _poll(client, path, lambda doc: bar.update(job, completed=_fraction(doc)))


def _poll(client: Client, path: str, show: Callable[[dict[str, Any]], None] | None) -> Any:
    delay = 0.02
    while True:
        response = client.request("GET", path, ok=(200, 202))
        if response.status_code == 200:
            return response.json()
        if show is not None:
            show(response.json())
        time.sleep(delay)
        delay = min(delay * 2, POLL_MAX)


def _fraction(doc: Any) -> float:
    value = doc.get("progress") if isinstance(doc, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    return min(max(float(value), 0.0), 1.0)


def _check(doc: dict[str, Any], what: str) -> None:
    """A failed job: its ID on stdout as usual, then its error (Kapacitor's texts)."""
    if doc.get("status") == "failed":
        print(doc.get("id", ""))
        sys.stdout.flush()
        raise ClientError(doc.get("error") or f"{what} failed: unknown reason")
