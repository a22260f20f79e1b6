"""`backup PATH`: save a copy of the server's database to a local file."""

from __future__ import annotations

import argparse
import os
import tempfile

from kapacitrio.cli.client.http import ClientError, add_url_flag, connect, guarded


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    p = subparsers.add_parser(
        name, help="back up the server's database", description="Save the server's database."
    )
    add_url_flag(p)
    p.add_argument("-f", dest="force", action="store_true", help="overwrite an existing file")
    p.add_argument("path", nargs="?", metavar="PATH")
    p.set_defaults(run=guarded(run))


def run(args: argparse.Namespace) -> int:
    if not args.path:
        raise ClientError("must provide file path for backup.")
    if os.path.exists(args.path) and not args.force:
        raise ClientError(f"{args.path} already exists (use -f to overwrite it)")
    directory = os.path.dirname(os.path.abspath(args.path))
    if not os.path.isdir(directory):
        raise ClientError(f"{directory}: no such directory")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".kapacitrio-backup")
    try:
        with os.fdopen(fd, "wb") as out, connect(args) as client:
            with client.stream("storage/backup", timeout=60.0) as response:
                for chunk in response.iter_bytes():
                    out.write(chunk)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, args.path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return 0


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
