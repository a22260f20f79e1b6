"""`kapacitrio fmt [-w] [-b] [FILE...]`: print TICKscripts in canonical form, or rewrite them in place."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

from kapacitrio.tick.errors import TickError
from kapacitrio.tick.format import format_script

BACKUP_SUFFIX = ".orig"


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    p = subparsers.add_parser(
        name,
        help="format TICKscripts",
        description="Format TICKscripts. With no FILE (or FILE '-') the script is read from stdin.",
    )
    p.add_argument("-w", dest="write", action="store_true", help="rewrite each FILE in place")
    p.add_argument(
        "-b",
        dest="backup",
        action="store_true",
        help=f"with -w, keep the original as FILE{BACKUP_SUFFIX}",
    )
    p.add_argument("files", nargs="*", metavar="FILE")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    files = list(args.files)
    if not files:
        if args.write:
            print("fmt: cannot write source files, none given", file=sys.stderr)
            return 2
        files = ["-"]
    for path in files:
        try:
            _format_one(path, args.write, args.backup)
        except (OSError, UnicodeDecodeError, TickError) as exc:
            where = "<stdin>" if path == "-" else path
            print(f"{where}: {exc}", file=sys.stderr)
            return 1
    return 0


def _format_one(path: str, write: bool, backup: bool) -> None:
    if path == "-":
        if write:
            raise OSError("cannot rewrite stdin in place")
        sys.stdout.write(format_script(sys.stdin.read()))
        return
    with open(path, encoding="utf-8") as handle:
        formatted = format_script(handle.read())
    if not write:
        sys.stdout.write(formatted)
        return
    _replace(path, formatted, backup)


def _replace(path: str, contents: str, backup: bool) -> None:
    """Write `contents` to a temporary file beside `path`, then move it over `path`."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tickfmt")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(contents)
        mode = os.stat(path).st_mode & 0o7777
        os.chmod(tmp, mode)
        if backup:
            os.replace(path, path + BACKUP_SUFFIX)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
