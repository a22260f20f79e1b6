"""Output formatting: Kapacitor-style column tables (rendered with rich) and `Key: value` blocks."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

#: Tables never wrap or shrink a cell (one row per line, as Kapacitor prints; terminals wrap).
_WIDE = 100_000


def console() -> Console:
    """A console on the current stdout: styled only on a terminal, no markup read from data."""
    return Console(
        file=sys.stdout,
        width=_WIDE,
        markup=False,
        highlight=False,
        emoji=False,
        soft_wrap=True,
    )


def table(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], numeric: Sequence[str] = ()
) -> None:
    """Print rows under headers in aligned columns, the way Kapacitor lists things.

    Columns named in `numeric` are right-aligned.
    """
    grid = Table(box=None, pad_edge=False, header_style="bold")
    for header in headers:
        align = "right" if header in numeric else "left"
        grid.add_column(header, no_wrap=True, justify=align)
    for row in rows:
        grid.add_row(*(Text(cell_text(v)) for v in row))
    con = console()
    with con.capture() as captured:
        con.print(grid, crop=False)
    for line in captured.get().splitlines():
        sys.stdout.write(line.rstrip() + "\n")


def cell_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def fields(pairs: Iterable[tuple[str, Any]]) -> None:
    """Print `Key: value` lines."""
    for key, value in pairs:
        print(f"{key}: {cell_text(value)}")


def dbrps_text(dbrps: Sequence[dict[str, Any]] | None) -> str:
    """Databases and retention policies as Kapacitor prints them: `["db"."rp"]`."""
    inner = ", ".join(f'"{d.get("db", "")}"."{d.get("rp", "")}"' for d in dbrps or ())
    return f"[{inner}]"


def when(stamp: str | None) -> str:
    """An API timestamp shown as Kapacitor's client does (`02 Jan 06 15:04 UTC`)."""
    if not stamp:
        return ""
    try:
        parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    if parsed.year <= 1:
        return ""
    zone = parsed.tzname() or ""
    return parsed.strftime("%d %b %y %H:%M ") + ("UTC" if zone in ("UTC", "UTC+00:00") else zone)


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
