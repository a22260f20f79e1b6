"""Topic commands: `show-topic`, `show-topic-handler` and `define-topic-handler`."""

from __future__ import annotations

import argparse
import json
from typing import Any

from kapacitrio.cli.client import output
from kapacitrio.cli.client.defs import load_mapping
from kapacitrio.cli.client.http import ClientError, add_url_flag, connect, guarded, q

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
    if name == "show-topic":
        p.add_argument("topic", metavar="TOPIC")
        p.set_defaults(run=guarded(run_show_topic))
    elif name == "show-topic-handler":
        p.add_argument("topic", metavar="TOPIC")
        p.add_argument("handler", metavar="HANDLER")
        p.set_defaults(run=guarded(run_show_handler))
    else:
        p.add_argument("path", metavar="FILE", help="a handler: topic, id, kind, match, options")
        p.set_defaults(run=guarded(run_define_handler))


def run_show_topic(args: argparse.Namespace) -> int:
    with connect(args) as client:
        topic = client.get(f"alerts/topics/{q(args.topic)}")
        handlers = client.get(f"alerts/topics/{q(args.topic)}/handlers") or {}
        events = client.get(f"alerts/topics/{q(args.topic)}/events") or {}
    names = [str(h.get("id")) for h in handlers.get("handlers") or []]
    output.fields(
        [
            ("ID", topic.get("id")),
            ("Level", topic.get("level")),
            ("Collected", topic.get("collected", 0)),
            ("Handlers", "[" + ", ".join(names) + "]"),
        ]
    )
    print("Events:")
    output.table(
        ["Event", "Level", "Message", "Date"],
        [_event_row(e) for e in events.get("events") or [] if isinstance(e, dict)],
    )
    return 0


def _event_row(event: dict[str, Any]) -> list[Any]:
    state = event.get("state") or {}
    return [
        event.get("id"),
        state.get("level"),
        state.get("message"),
        output.when(state.get("time")),
    ]


def run_show_handler(args: argparse.Namespace) -> int:
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
                json.dumps(handler.get("options") or {}, sort_keys=True, separators=(",", ":")),
            ),
        ]
    )
    return 0


def run_define_handler(args: argparse.Namespace) -> int:
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
