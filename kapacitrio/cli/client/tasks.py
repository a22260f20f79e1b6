"""Task commands: `define`, `enable`, `disable`, `reload` and `show`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kapacitrio.cli.client import output
from kapacitrio.cli.client.defs import load_mapping, load_vars, parse_dbrp
from kapacitrio.cli.client.http import (
    Client,
    ClientError,
    add_url_flag,
    connect,
    guarded,
    q,
    read_text,
    usage_error,
)
from kapacitrio.cli.client.output import pad
from kapacitrio.cli.client.select import matching_ids
from kapacitrio.tick.values import go_duration

HELP = {
    "define": "create or update a task",
    "enable": "enable tasks and start them",
    "disable": "disable tasks and stop them",
    "reload": "restart tasks (disable, then enable)",
    "show": "show a task's details, TICKscript and DOT",
}


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    p = subparsers.add_parser(
        name, help=HELP[name], description=HELP[name][0].upper() + HELP[name][1:] + "."
    )
    add_url_flag(p)
    if name == "define":
        _define_flags(p)
        p.set_defaults(run=guarded(run_define))
    elif name == "show":
        p.add_argument("-replay", dest="replay", default="", help="show the task in a replay")
        p.add_argument("task_ids", nargs="*", metavar="ID")
        p.set_defaults(run=guarded(run_show))
    else:
        p.add_argument("ids", nargs="*", metavar="ID", help="task IDs or glob patterns")
        p.set_defaults(run=guarded(run_status), action=name)


USAGE = {
    "define": "Usage: kapacitrio define <task ID> [-tick FILE] [-type stream|batch] [-dbrp db.rp]... "
    "[-template ID] [-vars FILE] [-file FILE] [-no-reload]",
    "enable": "Usage: kapacitrio enable [task ID...]\n\n    Enable and start tasks (IDs or globs).",
    "disable": "Usage: kapacitrio disable [task ID...]\n\n    Disable and stop tasks (IDs or globs).",
    "reload": "Usage: kapacitrio reload [task ID...]\n\n    Disable then enable tasks (IDs or globs).",
    "show": "Usage: kapacitrio show [-replay ID] [task ID]\n\n    Show details about a task.",
}


def _define_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("task_id", nargs="?", metavar="ID")
    p.add_argument("-type", dest="type", choices=("stream", "batch"), default=None)
    p.add_argument("-tick", dest="tick", default=None, metavar="FILE", help="the TICKscript")
    p.add_argument(
        "-dbrp", dest="dbrps", action="append", default=[], metavar="db.rp", help="repeatable"
    )
    p.add_argument("-template", dest="template", default=None, metavar="ID")
    p.add_argument("-vars", dest="vars", default=None, metavar="FILE", help="vars (JSON or YAML)")
    p.add_argument(
        "-file",
        dest="file",
        default=None,
        metavar="FILE",
        help="a task definition (JSON or YAML: template-id, dbrps, vars)",
    )
    p.add_argument(
        "-no-reload",
        dest="no_reload",
        action="store_true",
        help="do not reload an enabled task after updating it",
    )


def task_body(args: argparse.Namespace) -> dict[str, Any]:
    """The task options the flags give (only those given)."""
    body: dict[str, Any] = {}
    if args.file:
        body.update(_task_file(args.file, args.task_id))
    if args.type:
        body["type"] = args.type
    if args.tick:
        body["script"] = read_text(args.tick)
    if args.dbrps:
        body["dbrps"] = [parse_dbrp(d) for d in args.dbrps]
    if args.template:
        body["template-id"] = args.template
    if args.vars:
        body["vars"] = load_vars(args.vars)
    return body


def _task_file(path: str, task_id: str) -> dict[str, Any]:
    doc = load_mapping(path, "task")
    file_id = doc.get("id")
    if file_id not in (None, "") and file_id != task_id:
        raise ClientError(f"Task id given on command line does not match id in {path}")
    body: dict[str, Any] = {}
    for key in ("template-id", "dbrps", "vars", "type", "script"):
        alt = key.replace("-", "_")
        value = doc.get(key, doc.get(alt))
        if value is not None:
            body[key] = value
    if isinstance(body.get("dbrps"), list):
        body["dbrps"] = [parse_dbrp(d) if isinstance(d, str) else d for d in body["dbrps"]]
    return body


#: Kapacitor's error for dbrps given both by `dbrp` statements in the script and by `-dbrp`.
DBRP_TWICE = "cannot specify dbrp in both implicitly and explicitly"


def run_define(args: argparse.Namespace) -> int:
    if not args.task_id:
        return usage_error("Must provide a task ID.", USAGE["define"])
    body = task_body(args)
    with connect(args) as client:
        path = f"tasks/{q(args.task_id)}"
        existing = client.request("GET", path, params={"script-format": "raw"}, ok=(200, 404))
        script = body.get("script")
        if script is None and existing.status_code == 200:
            script = existing.json().get("script")
        if args.dbrps and script and script_has_dbrp(script):
            raise ClientError(DBRP_TWICE)
        if existing.status_code == 200:
            if not body:
                raise ClientError("nothing to update: give -tick, -type, -dbrp, -template or -vars")
            task = client.patch(path, body)
            if task.get("status") == "enabled" and not args.no_reload:
                _reload(client, args.task_id)
            return 0
        if "script" not in body and "template-id" not in body:
            raise ClientError("must provide a TICKscript via -tick or a template via -template")
        client.post("tasks", {"id": args.task_id, "status": "disabled", **body})
    return 0


def _reload(client: Client, task_id: str) -> None:
    client.patch(f"tasks/{q(task_id)}", {"status": "disabled"})
    client.patch(f"tasks/{q(task_id)}", {"status": "enabled"})


def script_has_dbrp(script: str) -> bool:
    """Whether a TICKscript names its own dbrps (`dbrp "db"."rp"`); a script that does not parse
    is left for the server to report."""
    from kapacitrio.tick import ast
    from kapacitrio.tick.errors import TickError
    from kapacitrio.tick.parser import parse

    try:
        program = parse(script)
    except (TickError, RecursionError):
        return False
    return any(isinstance(s, ast.DBRPNode) for s in program.statements)


def run_status(args: argparse.Namespace) -> int:
    if not args.ids:
        return usage_error("Must pass at least one task ID", USAGE[args.action])
    with connect(args) as client:
        ids = matching_ids(client, "tasks", args.ids)
        for task_id in ids:
            if args.action == "reload":
                _reload(client, task_id)
            else:
                client.patch(f"tasks/{q(task_id)}", {"status": f"{args.action}d"})
    return 0


def run_show(args: argparse.Namespace) -> int:
    if len(args.task_ids) != 1:
        return usage_error("Must specify one task ID", USAGE["show"])
    with connect(args) as client:
        params = {"replay-id": args.replay} if args.replay else {}
        task = client.get(f"tasks/{q(args.task_ids[0])}", **params)
    print_task(task)
    return 0


def print_task(task: dict[str, Any]) -> None:
    """The task in the layout of Kapacitor's `show` (scripts parse these lines)."""
    output.fields(
        [
            ("ID", task.get("id")),
            ("Error", task.get("error")),
            ("Template", task.get("template-id")),
            ("Type", task.get("type")),
            ("Status", task.get("status")),
            ("Executing", task.get("executing")),
            ("Created", output.when(task.get("created"))),
            ("Modified", output.when(task.get("modified"))),
            ("LastEnabled", output.when(task.get("last-enabled"))),
            ("Databases Retention Policies", output.dbrps_text(task.get("dbrps"))),
        ]
    )
    sys.stdout.write(f"TICKscript:\n{task.get('script') or ''}\n")
    task_vars = task.get("vars") or {}
    if task_vars:
        sys.stdout.write("Vars:\n")
        sys.stdout.write(pad("Name", 30) + pad("Type", 10) + pad("Value", 40) + "\n")
        for name, v in sorted(task_vars.items()):
            if isinstance(v, dict):
                row = pad(name, 30) + pad(v.get("type", ""), 10) + pad(var_value(v), 40)
                sys.stdout.write(row + "\n")
    sys.stdout.write(f"DOT:\n{task.get('dot') or ''}\n")


#: What a template var without a default shows as its value.
REQUIRED = "<required>"


def var_value(var: dict[str, Any]) -> str:
    """A var's value as Kapacitor's client prints it: durations as Go durations (`5m0s`), floats
    as Go's `%v`, lists as `[a, b]`, and `<required>` when there is no value."""
    typ, value = var.get("type"), var.get("value")
    if typ == "star":
        return "*"
    if value is None:
        return REQUIRED
    if typ == "duration" and isinstance(value, int | float) and not isinstance(value, bool):
        return go_duration(int(value))
    if typ == "list" and isinstance(value, list):
        return "[" + ", ".join(var_value(v) for v in value if isinstance(v, dict)) + "]"
    return output.go_value(value)
