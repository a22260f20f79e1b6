"""Topic commands: `show-topic`, `show-topic-handler` and `define-topic-handler`."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from kapacitrio.cli.client import output
from kapacitrio.cli.client.defs import load_mapping
from kapacitrio.cli.client.http import (
    ClientError,
    add_url_flag,
    connect,
    guarded,
    q,
    usage_error,
)
from kapacitrio.cli.client.output import pad
from kapacitrio.tick.gotemplate.gojson import go_json

HELP = {
    "show-topic": "show a topic's level, handlers and events",
    "show-topic-handler": "show one handler of a topic",
    "define-topic-handler": "create or replace a topic handler from a YAML or JSON file",
}


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    p = subparsers.add_parser(
        name, help=HELP[name], description=HELP[name][0].upper() + HELP[name][1:] + "."
    )
    add_url_flag(p)
    p.add_argument("args", nargs="*", metavar=METAVARS[name])
    p.set_defaults(run=guarded(RUNS[name]))


METAVARS = {
    "show-topic": "TOPIC",
    "show-topic-handler": "TOPIC HANDLER",
    "define-topic-handler": "FILE",
}
USAGE = {
    "show-topic": "Usage: kapacitrio show-topic [topic ID]\n\n    Show details about a topic.",
    "show-topic-handler": "Usage: kapacitrio show-topic-handler [topic ID] [handler ID]\n\n"
    "    Show details about a topic's handler.",
    "define-topic-handler": "Usage: kapacitrio define-topic-handler <path to handler spec file>\n\n"
    "    Create or update a handler from a JSON or YAML file (topic, id, kind, match, options).",
}


def run_show_topic(args: argparse.Namespace) -> int:
    if len(args.args) != 1:
        return usage_error("Must specify one topic ID", USAGE["show-topic"])
    args.topic = args.args[0]
    with connect(args) as client:
        topic = client.get(f"alerts/topics/{q(args.topic)}")
        handlers = client.get(f"alerts/topics/{q(args.topic)}/handlers") or {}
        events = client.get(f"alerts/topics/{q(args.topic)}/events") or {}
    names = [str(h.get("id")) for h in handlers.get("handlers") or []]
    found = [e for e in events.get("events") or [] if isinstance(e, dict)]
    found.sort(key=_event_time)
    wevent = output.width_of((e.get("id") for e in found), 5)
    wmsg = output.width_of(((e.get("state") or {}).get("message") for e in found), 7)
    output.fields(
        [
            ("ID", topic.get("id")),
            ("Level", topic.get("level")),
            ("Collected", topic.get("collected", 0)),
        ]
    )
    lines = ["Handlers: [" + ", ".join(names) + "]", "Events:"]
    lines.append(pad("Event", wevent) + pad("Level", 9) + pad("Message", wmsg) + pad("Date", 23))
    for e in found:
        state = e.get("state") or {}
        lines.append(
            pad(e.get("id"), wevent)
            + pad(state.get("level"), 9)
            + pad(state.get("message"), wmsg)
            + pad(output.when(state.get("time"), local=True), 23)
        )
    sys.stdout.write("".join(line + "\n" for line in lines))
    return 0


def _event_time(event: dict[str, Any]) -> datetime:
    stamp = str((event.get("state") or {}).get("time") or "")
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def run_show_handler(args: argparse.Namespace) -> int:
    if len(args.args) != 2:
        return usage_error("Must specify both topic and handler IDs", USAGE["show-topic-handler"])
    args.topic, args.handler = args.args
    with connect(args) as client:
        handler = client.get(f"alerts/topics/{q(args.topic)}/handlers/{q(args.handler)}")
    output.fields(
        [
            ("ID", handler.get("id")),
            ("Topic", args.topic),
            ("Kind", handler.get("kind")),
            ("Match", handler.get("match")),
            (
                "Options",
                go_json(handler.get("options") or {}),
            ),
        ]
    )
    return 0


def run_define_handler(args: argparse.Namespace) -> int:
    if len(args.args) != 1:
        return usage_error("Must provide a path to a handler file.", USAGE["define-topic-handler"])
    args.path = args.args[0]
    spec = load_mapping(args.path, "handler")
    topic, handler_id = spec.pop("topic", None), spec.get("id")
    if not isinstance(topic, str) or not topic:
        raise ClientError(f"{args.path}: the handler file must name its topic")
    if not isinstance(handler_id, str) or not handler_id:
        raise ClientError(f"{args.path}: the handler file must give the handler an id")
    if not spec.get("kind"):
        raise ClientError(f"{args.path}: the handler file must give the handler a kind")
    with connect(args) as client:
        base = f"alerts/topics/{q(topic)}/handlers"
        if client.exists(f"{base}/{q(handler_id)}"):
            client.put(f"{base}/{q(handler_id)}", spec)
        else:
            client.post(base, spec)
    return 0


RUNS = {
    "show-topic": run_show_topic,
    "show-topic-handler": run_show_handler,
    "define-topic-handler": run_define_handler,
}
