"""Template commands: `define-template` and `show-template`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kapacitrio.cli.client import output
from kapacitrio.cli.client.http import (
    ClientError,
    add_url_flag,
    connect,
    guarded,
    q,
    read_text,
    usage_error,
)
from kapacitrio.cli.client.output import pad
from kapacitrio.cli.client.tasks import var_value

HELP = {
    "define-template": "create or update a task template",
    "show-template": "show a template's details, vars and DOT",
}


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    p = subparsers.add_parser(
        name, help=HELP[name], description=HELP[name][0].upper() + HELP[name][1:] + "."
    )
    add_url_flag(p)
    p.add_argument("template_id", nargs="?", metavar="ID")
    if name == "define-template":
        p.add_argument("-type", dest="type", choices=("stream", "batch"), default=None)
        p.add_argument("-tick", dest="tick", default=None, metavar="FILE")
        p.add_argument(
            "-no-reload",
            dest="no_reload",
            action="store_true",
            help="accepted for Kapacitor compatibility (the server restarts tasks itself)",
        )
        p.set_defaults(run=guarded(run_define))
    else:
        p.set_defaults(run=guarded(run_show))


USAGE = {
    "define-template": "Usage: kapacitrio define-template <template ID> [-tick FILE] "
    "[-type stream|batch]\n\n    Create or update a template; its tasks are reloaded.",
    "show-template": "Usage: kapacitrio show-template [template ID]\n\n"
    "    Show details about a template.",
}


def run_define(args: argparse.Namespace) -> int:
    if not args.template_id:
        return usage_error("Must provide a template ID.", USAGE["define-template"])
    body: dict[str, Any] = {}
    if args.type:
        body["type"] = args.type
    if args.tick:
        body["script"] = read_text(args.tick)
    with connect(args) as client:
        path = f"templates/{q(args.template_id)}"
        if client.exists(path):
            if not body:
                raise ClientError("nothing to update: give -tick or -type")
            client.patch(path, body)
            return 0
        if "script" not in body:
            raise ClientError("must provide a TICKscript via -tick")
        client.post("templates", {"id": args.template_id, **body})
    return 0


def run_show(args: argparse.Namespace) -> int:
    if not args.template_id:
        return usage_error("Must specify one template ID", USAGE["show-template"])
    with connect(args) as client:
        tmpl = client.get(f"templates/{q(args.template_id)}")
    output.fields(
        [
            ("ID", tmpl.get("id")),
            ("Error", tmpl.get("error")),
            ("Type", tmpl.get("type")),
            ("Created", output.when(tmpl.get("created"))),
            ("Modified", output.when(tmpl.get("modified"))),
        ]
    )
    sys.stdout.write(f"TICKscript:\n{tmpl.get('script') or ''}\n")
    sys.stdout.write("Vars:\n")
    head = pad("Name", 30) + pad("Type", 10) + pad("Default Value", 40) + pad("Description", 40)
    sys.stdout.write(head + "\n")
    for name, v in sorted((tmpl.get("vars") or {}).items()):
        if isinstance(v, dict):
            row = pad(name, 30) + pad(v.get("type", ""), 10) + pad(var_value(v), 40)
            sys.stdout.write(row + pad(v.get("description", ""), 40) + "\n")
    sys.stdout.write(f"DOT:\n{tmpl.get('dot') or ''}\n")
    return 0
