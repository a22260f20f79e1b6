"""`record stream|batch|query`, `replay` and `replay-live batch|query`: recordings and replays."""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta
from typing import Any

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
        p.add_argument("-task", dest="task", required=True, metavar="ID")
        p.add_argument("-recording", dest="recording", required=True, metavar="ID")
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
    stream.add_argument("-task", dest="task", required=True, metavar="ID")
    stream.add_argument("-duration", dest="duration", default=None, help="how long, e.g. 1m")
    stream.add_argument("-stop", dest="stop", default=None, help="until this RFC3339 time")
    batch = kinds.add_parser("batch", help="record the results of a batch task's queries")
    batch.add_argument("-task", dest="task", required=True, metavar="ID")
    _range_flags(batch)
    query = kinds.add_parser("query", help="record the result of a query")
    query.add_argument("-query", dest="query", required=True)
    query.add_argument("-type", dest="type", required=True, choices=("stream", "batch"))
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
    query.add_argument("-query", dest="query", required=True)
    query.add_argument("-cluster", dest="cluster", default="")
    for sub in (batch, query):
        add_url_flag(sub)
        sub.add_argument("-task", dest="task", required=True, metavar="ID")
        sub.add_argument("-replay-id", dest="replay_id", default="", metavar="ID")
        _replay_flags(sub)
        sub.set_defaults(run=guarded(run_replay_live))


def _range(args: argparse.Namespace) -> dict[str, str]:
    if args.past and args.start:
        raise ClientError("give -start or -past, not both")
    body: dict[str, str] = {}
    if args.past:
        body["start"] = rfc3339(datetime.now(UTC) - parse_duration(args.past))
    elif args.start:
        body["start"] = args.start
    else:
        raise ClientError("must provide -start or -past")
    if args.stop:
        body["stop"] = args.stop
    return body


def record_body(args: argparse.Namespace) -> dict[str, Any]:
    body: dict[str, Any] = {"id": args.recording_id} if args.recording_id else {}
    if args.kind == "stream":
        if bool(args.duration) == bool(args.stop):
            raise ClientError("give one of -duration or -stop")
        body["task"] = args.task
        if args.duration:
            body["stop"] = rfc3339(datetime.now(UTC) + parse_duration(args.duration))
        else:
            body["stop"] = args.stop
    elif args.kind == "batch":
        body.update({"task": args.task, **_range(args)})
    else:
        body.update({"query": args.query, "type": args.type, "cluster": args.cluster})
    return body


def run_record(args: argparse.Namespace) -> int:
    body = record_body(args)
    with connect(args) as client:
        rec = client.post(f"recordings/{args.kind}", body)
        if not args.no_wait:
            rec = wait(client, f"recordings/{q(rec['id'])}")
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
    return _start_replay(args, "replays", {**_replay_opts(args), "recording": args.recording})


def run_replay_live(args: argparse.Namespace) -> int:
    body = _replay_opts(args)
    if args.kind == "batch":
        body.update(_range(args))
    else:
        body.update({"query": args.query, "cluster": args.cluster})
    return _start_replay(args, f"replays/{args.kind}", body)


def _start_replay(args: argparse.Namespace, path: str, body: dict[str, Any]) -> int:
    with connect(args) as client:
        replay = client.post(path, body)
        if not args.no_wait:
            replay = wait(client, f"replays/{q(replay['id'])}")
            _check(replay, "replay")
    print(replay["id"])
    return 0


def wait(client: Client, path: str) -> dict[str, Any]:
    """Poll a recording or replay until the server says it is no longer running (200, not 202)."""
    delay = 0.02
    while True:
        response = client.request("GET", path, ok=(200, 202))
        if response.status_code == 200:
            return response.json()
        time.sleep(delay)
        delay = min(delay * 2, POLL_MAX)


def _check(doc: dict[str, Any], what: str) -> None:
    if doc.get("status") == "failed" or doc.get("error"):
        raise ClientError(
            f"{what} {doc.get('id', '')} failed: {doc.get('error') or 'unknown error'}"
        )
